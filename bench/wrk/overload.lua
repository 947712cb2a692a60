-- wrk script: recommend.lua's requests, and at the end one line with what the server admitted and shed.
-- Shed answers (429/503) are counted as non-2xx. "p99 admitted <=" is the overall latency quantile at
-- 1 - 0.01 × admitted share: an upper bound of the admitted requests' p99 (exact when every shed answer
-- is faster than every admitted one, which it is by construction: a shed request is answered at the door).
dofile((os.getenv("WRK_DIR") or "bench/wrk") .. "/recommend.lua")

function done(summary, latency, requests)
  local total = summary.requests
  local shed = summary.errors.status
  local admitted = total - shed
  local seconds = summary.duration / 1e6
  local q = 100 * (1 - 0.01 * admitted / math.max(total, 1))
  io.write(string.format("offered %.1f req/s, admitted %.1f req/s, shed share %.3f, p99 admitted <= %.2f ms, p99 all %.2f ms, socket errors %d\n",
    total / seconds, admitted / seconds, shed / math.max(total, 1), latency:percentile(q) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
