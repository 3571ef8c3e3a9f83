-- wrk script for the HTTP workloads: POSTs the same Flume JSON batch (read from the file named
-- by the BODY_FILE environment variable) on every request of every connection.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.body = f:read("*a")
f:close()
