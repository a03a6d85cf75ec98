# Regenerate with: python3 test/golden/generate.py
# Writes the golden flows with their expected hashes, computed independently of Strata's code:
# sha256 of RFC 8785 canonical JSON (for these ASCII/integer documents: sorted keys, no spaces).
import hashlib, json, copy

def h(state):
    return hashlib.sha256(json.dumps(state, sort_keys=True, separators=(',', ':'), ensure_ascii=False).encode()).hexdigest()

def st(agent, status, step, data, **extra):
    s = {"agentName": agent, "status": status, "step": step, "data": data}
    s.update(extra)
    return s

# ---------- GOLDEN_SIMPLE_FLOW: one research agent, plan "mid" ----------
r = "golden-simple-1"
s1 = st("researcher", "running", 0, {"goal": "summarise RFC 6902", "messages": []}, metadata={"model": "gpt-4o", "inputTokens": 0, "outputTokens": 0, "costUsd": 0})
s2 = copy.deepcopy(s1); s2["step"] = 1; s2["data"]["messages"].append({"role": "user", "content": "go"})
s3 = copy.deepcopy(s2); s3["step"] = 2; s3["data"]["messages"].append({"role": "assistant", "content": "reading the RFC"}); s3["metadata"].update({"inputTokens": 1200, "outputTokens": 300, "costUsd": 0.0105})
s4 = copy.deepcopy(s3); s4["status"] = "paused"; s4["step"] = 3
s5 = copy.deepcopy(s4); s5["status"] = "running"; s5["step"] = 4; s5["data"]["draft"] = "JSON Patch describes changes to a JSON document."
simple = {"name": "GOLDEN_SIMPLE_FLOW", "plan": "mid", "steps": [
  {"do": "save", "run": r, "body": {"state": s1, "expectedVersion": 0}, "expect": {"status": 200, "version": 1, "durability": "hot", "hash": h(s1)}},
  {"do": "save", "run": r, "body": {"baseVersion": 1, "patch": [{"op": "replace", "path": "/step", "value": 1}, {"op": "add", "path": "/data/messages/-", "value": {"role": "user", "content": "go"}}]}, "expect": {"status": 200, "version": 2, "durability": "hot", "hash": h(s2)}},
  {"do": "save", "run": r, "body": {"state": s3, "checkpoint": "CRITICAL", "expectedVersion": 2}, "expect": {"status": 200, "version": 3, "durability": "durable", "hash": h(s3)}},
  {"do": "load", "run": r, "expect": {"status": 200, "version": 3, "hash": h(s3), "state": s3}},
  {"do": "save", "run": r, "body": {"state": s4, "expectedVersion": 3}, "expect": {"status": 200, "version": 4, "durability": "hot", "hash": h(s4)}},
  {"do": "save", "run": r, "headers": {"if-match": "\"4\""}, "idempotencyKey": "step-4", "body": {"state": s5}, "expect": {"status": 200, "version": 5, "durability": "hot", "hash": h(s5)}},
  {"do": "save", "run": r, "headers": {"if-match": "\"4\""}, "idempotencyKey": "step-4", "body": {"state": s5}, "expect": {"status": 200, "version": 5, "durability": "hot", "hash": h(s5)}},
  {"do": "save", "run": r, "body": {"state": s5, "expectedVersion": 4}, "expect": {"status": 409, "error": "version_conflict", "currentVersion": 5}},
  {"do": "checkpoints", "run": r, "expect": {"status": 200, "versions": [5, 3]}},
  {"do": "load", "run": r, "version": 3, "expect": {"status": 200, "version": 3, "hash": h(s3), "state": s3}},
  {"do": "restore", "run": r, "body": {"version": 3, "expectedVersion": 5}, "expect": {"status": 200, "version": 6, "durability": "durable", "hash": h(s3)}},
  {"do": "load", "run": r, "expect": {"status": 200, "version": 6, "hash": h(s3), "state": s3}},
  {"do": "complete", "run": r, "body": {"status": "completed", "metadata": {"inputTokens": 1500, "outputTokens": 420, "costUsd": 0.0131}}, "expect": {"status": 200, "runStatus": "completed", "durableVersion": 6}},
  {"do": "list", "query": {"status": "completed"}, "expect": {"status": 200, "runs": [r]}},
  {"do": "list", "query": {"status": "running"}, "expect": {"status": 200, "runs": []}},
]}

# ---------- GOLDEN_MULTI_AGENT_FLOW: an orchestrator with three sub-agents, plan "enterprise" ----------
root = "golden-orchestrator"
kids = {"researcher": "golden-sub-researcher", "coder": "golden-sub-coder", "reviewer": "golden-sub-reviewer"}
steps = []
o1 = st("orchestrator", "running", 0, {"plan": ["research", "code", "review"], "done": []}, threadId="thread-42", userId="user-7")
steps.append({"do": "save", "run": root, "body": {"state": o1, "checkpoint": "FULL", "expectedVersion": 0}, "expect": {"status": 200, "version": 1, "durability": "durable", "hash": h(o1)}})
kid_states = {}
for role, rid in kids.items():
    k1 = st(role, "running", 0, {"task": role, "notes": []}, parentRunId=root, threadId="thread-42", userId="user-7", metadata={"model": "claude-x" if role != "coder" else "gpt-4o", "tags": ["sub-agent", role]})
    kid_states[role] = [k1]
    steps.append({"do": "save", "run": rid, "body": {"state": k1, "expectedVersion": 0}, "expect": {"status": 200, "version": 1, "durability": "durable", "hash": h(k1)}})
# Interleaved progress: each sub-agent takes three steps, round robin.
for i in range(1, 4):
    for role, rid in kids.items():
        prev = kid_states[role][-1]
        nxt = copy.deepcopy(prev); nxt["step"] = i; nxt["data"]["notes"].append(f"{role} note {i}")
        kid_states[role].append(nxt)
        cp = "CRITICAL" if i == 3 else "AUTO"
        steps.append({"do": "save", "run": rid, "body": {"state": nxt, "checkpoint": cp, "expectedVersion": i}, "expect": {"status": 200, "version": i + 1, "durability": "durable", "hash": h(nxt)}})
steps.append({"do": "list", "query": {"parentRunId": root}, "expect": {"status": 200, "runs": sorted(kids.values())}})
# The coder goes wrong at step 3: restore its step-2 version, then finish.
coder = kids["coder"]
steps.append({"do": "restore", "run": coder, "body": {"version": 3, "expectedVersion": 4}, "expect": {"status": 200, "version": 5, "durability": "durable", "hash": h(kid_states["coder"][2])}})
steps.append({"do": "load", "run": coder, "version": 4, "expect": {"status": 200, "version": 4, "hash": h(kid_states["coder"][3])}})
costs = {"researcher": (5000, 800, 0.061), "coder": (9000, 2500, 0.0975), "reviewer": (3000, 400, 0.033)}
for role, rid in kids.items():
    inp, out, usd = costs[role]
    steps.append({"do": "complete", "run": rid, "body": {"status": "completed", "metadata": {"inputTokens": inp, "outputTokens": out, "costUsd": usd}}, "expect": {"status": 200, "runStatus": "completed"}})
steps.append({"do": "list", "query": {"parentRunId": root, "status": "completed"}, "expect": {"status": 200, "runs": sorted(kids.values())}})
o2 = copy.deepcopy(o1); o2["step"] = 1; o2["data"]["done"] = ["research", "code", "review"]; o2["metadata"] = {"inputTokens": 17000, "outputTokens": 3700, "costUsd": 0.1915}
steps.append({"do": "save", "run": root, "body": {"state": o2, "checkpoint": "CRITICAL", "expectedVersion": 1}, "expect": {"status": 200, "version": 2, "durability": "durable", "hash": h(o2)}})
steps.append({"do": "complete", "run": root, "body": {"status": "completed"}, "expect": {"status": 200, "runStatus": "completed", "durableVersion": 2}})
steps.append({"do": "checkpoints", "run": kids["researcher"], "expect": {"status": 200, "versions": [4, 3, 2, 1]}})
steps.append({"do": "delete", "run": kids["reviewer"], "expect": {"status": 204}})
steps.append({"do": "load", "run": kids["reviewer"], "expect": {"status": 404, "error": "not_found"}})
steps.append({"do": "list", "query": {"parentRunId": root}, "expect": {"status": 200, "runs": sorted([kids["researcher"], kids["coder"]])}})
multi = {"name": "GOLDEN_MULTI_AGENT_FLOW", "plan": "enterprise", "steps": steps}

for fname, flow in [("simple-flow.json", simple), ("multi-agent-flow.json", multi)]:
    with open(__import__("os").path.join(__import__("os").path.dirname(__file__), fname), "w") as f:
        json.dump(flow, f, indent=1, ensure_ascii=False); f.write("\n")
print(len(simple["steps"]), len(multi["steps"]))
