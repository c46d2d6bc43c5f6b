-- Every request a search the cache has not seen: the real cost of the full-text search.
local words = {"anglais", "espagnol", "word", "excel", "comptabilite", "python", "francais",
               "couture", "jardinage", "reliure", "informatique", "allemand", "photo"}
local counter = 0
request = function()
  counter = counter + 1
  local word = words[(counter % #words) + 1]
  local path = "/api/v1/courses?q=" .. word .. "&page=" .. (counter % 3 + 1)
    .. "&nonce=" .. counter .. "-" .. math.random(1000000)
  return wrk.format("GET", path)
end
