# Writes a registry hive with Debian's python3-hivex (a writer nt351 did not write) from a JSON key
# tree: {"name", "values": [{"name", "type", "hex"}], "subkeys": [...]}. The new hive starts from
# BASE (a hive holding only its root key) and is committed to OUT.
#   /usr/bin/python3 test/helpers/hivex-write.py BASE TREE.json OUT
import json, sys
import hivex

base, tree_path, out = sys.argv[1:4]
tree = json.load(open(tree_path))
h = hivex.Hivex(base, write=True)

def fill(node, spec):
    if spec.get("values"):
        h.node_set_values(node, [
            {"key": v["name"], "t": v["type"], "value": bytes.fromhex(v["hex"])} for v in spec["values"]
        ])
    for sub in spec.get("subkeys", []):
        fill(h.node_add_child(node, sub["name"]), sub)

fill(h.root(), tree)
h.commit(out)
