-- wrk: the request of WRK_METHOD (GET) with WRK_BODY; a JSON line of figures when done.
wrk.method = os.getenv("WRK_METHOD") or "GET"
wrk.headers["Authorization"] = "Api-Key " .. os.getenv("WRK_KEY")
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("WRK_BODY")

done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "non_2xx": %d, "socket_errors": %d, ' ..
    '"p50_us": %d, "p95_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
