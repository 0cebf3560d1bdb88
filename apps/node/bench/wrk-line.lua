-- One side-by-side line for wrk (bench/wrk.ts): POSTs the prepared bodies in turn on every
-- connection, then prints one JSON line of counts and latency percentiles (microseconds).
-- Arguments after `--`: <path> <content-type> <file of "<length>\n<bytes>" records>.
local requests, next = {}, 0

init = function(args)
  local f = assert(io.open(args[3], "rb"))
  local data = f:read("*a")
  f:close()
  local pos = 1
  while pos <= #data do
    local nl = data:find("\n", pos, true)
    local len = tonumber(data:sub(pos, nl - 1))
    requests[#requests + 1] = wrk.format("POST", args[1], { ["Content-Type"] = args[2] }, data:sub(nl + 1, nl + len))
    pos = nl + len + 1
  end
end

request = function()
  next = next % #requests + 1
  return requests[next]
end

done = function(summary, latency)
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests":%d,"durationUs":%d,"status":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"p50":%d,"p99":%d,"p999":%d,"max":%d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max))
end
