"""An outside service consuming memgrid's change events, written from docs/contracts.md only.

Usage: events_client.py AMQP_URL EVENTS_EXCHANGE TENANT TYPE...

Binds a private queue to the events exchange (routing key = event type), prints "ready",
then reads events until one of each TYPE of TENANT has arrived (120 s at most). A TYPE of
the form job.completed:memorize.v1 waits for that job type's job.completed. Every
event is checked against what the document promises; each accepted one is printed as
"ok <type>", each broken one as "bad <type>: <why>". Exit status 0 when every TYPE came
and nothing was bad.
"""
import json
import sys
import time

import pika

url, exchange, tenant, *wanted = sys.argv[1:]
connection = pika.BlockingConnection(pika.URLParameters(url))
channel = connection.channel()
queue = channel.queue_declare(queue="", exclusive=True).method.queue
for event_type in {w.split(":")[0] for w in wanted}:
    channel.queue_bind(queue=queue, exchange=exchange, routing_key=event_type)
print("ready", flush=True)

REF = {"memory_id": str, "user_id": str, "memory_type": str, "categories": list}
PAYLOADS = {
    "memory.created": REF,
    "memory.updated": {**REF, "changed": list},
    "memory.superseded": {**REF, "superseded_by": str, "valid_until": str},
    "memory.deleted": {**REF, "reason": str},
    "user.erased": {"user_id": str, "removed": dict},
    "job.completed": {"job_id": str, "job_type": str, "attempts": int},
}
REMOVED = ["memories", "messages", "vectors", "reminders", "categories", "documents", "jobs", "history", "cache_entries"]


def problems(method, properties, event):
    event_type = event.get("type")
    found = []
    for field, kind in {"id": str, "type": str, "version": int, "tenant_id": str, "occurred_at": str, "payload": dict}.items():
        if not isinstance(event.get(field), kind):
            found.append(f"envelope field {field} missing or not {kind.__name__}")
    if method.routing_key != event_type:
        found.append(f"routing key {method.routing_key} is not the type")
    if properties.type != f"{event_type}.v{event.get('version')}":
        found.append(f"AMQP type {properties.type} is not <type>.v<version>")
    if properties.message_id != event.get("id"):
        found.append("AMQP message_id is not the envelope id")
    for field, kind in PAYLOADS.get(event_type, {}).items():
        if not isinstance(event["payload"].get(field), kind):
            found.append(f"payload.{field} missing or not {kind.__name__}")
    if event_type == "memory.deleted" and event["payload"].get("reason") not in ("deleted", "expired", "consolidated"):
        found.append("payload.reason is not deleted, expired or consolidated")
    if event_type == "user.erased":
        removed = event["payload"].get("removed", {})
        if sorted(removed) != sorted(REMOVED) or not all(isinstance(v, int) and v >= 0 for v in removed.values()):
            found.append("payload.removed does not count every store")
    if event_type == "job.completed":
        payload = event["payload"]
        if event.get("correlation_id") != payload.get("job_id"):
            found.append("correlation_id is not the job id")
        if event.get("id") != f"{payload.get('job_id')}:job.completed":
            found.append("id is not <job id>:job.completed")
        summary = payload.get("summary")
        if summary is not None and not all(isinstance(v, str) for v in summary.values()):
            found.append("payload.summary values are not strings")
    return found


seen, bad = set(), 0
# Bounds a test that fails, not a speed: a loaded 2-core machine completes a memorize job
# and its embed job in seconds.
deadline = time.monotonic() + 120
while time.monotonic() < deadline and not set(wanted) <= seen:
    method, properties, body = channel.basic_get(queue=queue, auto_ack=True)
    if method is None:
        time.sleep(0.05)
        continue
    event = json.loads(body)
    if event.get("tenant_id") != tenant:
        continue
    found = problems(method, properties, event)
    if found:
        bad += 1
        print(f"bad {event.get('type')}: {'; '.join(found)}", flush=True)
    else:
        name = event["type"]
        if name == "job.completed":
            name += ":" + event["payload"]["job_type"]
            seen.add(event["type"])
        seen.add(name)
        print(f"ok {name}", flush=True)
connection.close()
missing = sorted(set(wanted) - seen)
if missing:
    print("missing " + " ".join(missing), flush=True)
sys.exit(0 if not missing and bad == 0 else 1)
