-- //bench:apps "lua": a garbage-collected interpreter (every object through lua's realloc hook).
-- Binary trees built and dropped (the GC frees them) and strings built piece by piece.
-- Usage: lua5.4 trees.lua N (work scales with N). Prints one deterministic checksum line.
local n = tonumber(arg[1])

local function make(depth)
  if depth == 0 then return {} end
  return { make(depth - 1), make(depth - 1) }
end

local function check(t)
  if t[1] == nil then return 1 end
  return 1 + check(t[1]) + check(t[2])
end

local sum = 0
local long_lived = make(14)
for epoch = 1, n do
  for depth = 4, 12, 2 do
    sum = (sum + check(make(depth))) % 1000000007
  end
  local parts = {}
  for i = 1, 3000 do
    parts[#parts + 1] = string.rep(string.char(97 + (i * epoch) % 26), 1 + (i * 7) % 40)
  end
  local s = table.concat(parts, ",")
  local replaced = s:gsub("a+", "A")
  sum = (sum + #replaced) % 1000000007
end
print(sum + check(long_lived), n)
