-- wrk script: GetItem on a uniformly random item of the table `shale-bench dynamo` loads
-- (`bench`: pk "p%08d" partitions of 10 items, sk 0..9), as a cross-check of its load
-- generator with a C one. Set ITEMS to the --items of the load (default 10000).
--   wrk -t1 -c16 -d10s -s bench/wrk/getitem.lua http://127.0.0.1:8000/
local items = tonumber(os.getenv("ITEMS") or "10000")
wrk.method = "POST"
wrk.headers["X-Amz-Target"] = "DynamoDB_20120810.GetItem"
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Date"] = "20260101T000000Z"
wrk.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=wrk/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=0"

request = function()
  local i = math.random(0, items - 1)
  local body = string.format(
    '{"TableName":"bench","Key":{"pk":{"S":"p%08d"},"sk":{"N":"%d"}}}', math.floor(i / 10), i % 10)
  return wrk.format(nil, "/", nil, body)
end

response = function(status, headers, body)
  if status ~= 200 then
    io.stderr:write("unexpected answer " .. status .. ": " .. body .. "\n")
    wrk.thread:stop()
  end
end
