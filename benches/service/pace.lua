-- wrk pacing: each connection waits PACE_MS between its requests, so that
-- connections * 1000 / (PACE_MS + latency) gives the offered rate (plain wrk has no -R).
-- The optional TOKEN becomes a bearer Authorization header.
local pace = tonumber(os.getenv("PACE_MS") or "0")
local token = os.getenv("TOKEN")
if token and #token > 0 then
  wrk.headers["Authorization"] = "Bearer " .. token
end
function delay()
  return pace
end
done = function(summary, latency, requests)
  local secs = summary.duration / 1e6
  io.write(string.format("RESULT rate=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d errors=%d non2xx=%d\n",
    summary.requests / secs, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
