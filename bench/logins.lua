-- Logins of the rush's generated learners, each from an address of their own (X-Forwarded-For).
-- LEARNERS and PASSWORD come from the environment (bench/rush.py sets them).
local learners = tonumber(os.getenv("LEARNERS") or "1000")
local password = os.getenv("PASSWORD") or ""
request = function()
  local n = math.random(0, learners - 1)
  local body = '{"email": "ruee-' .. n .. '@yopmail.com", "password": "' .. password .. '"}'
  local address = "10." .. (math.floor(n / 65536) % 256) .. "." .. (math.floor(n / 256) % 256)
    .. "." .. (n % 256)
  local headers = {["Content-Type"] = "application/json", ["X-Forwarded-For"] = address}
  return wrk.format("POST", "/api/v1/sessions", headers, body)
end
