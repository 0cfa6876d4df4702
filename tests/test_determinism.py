"""Two runs of the same script give byte-identical results (names, events, kubectl output).

This is what strict nbval and reliable grading rest on: virtual time and one seeded RNG.
"""
from labkit.minicluster.cluster import MiniCluster

MANIFEST = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.14.2
        resources: {requests: {cpu: 100m, memory: 64Mi}}
"""


def scenario(seed):
    c = MiniCluster(nodes=3, seed=seed)
    out = [str(c.apply(MANIFEST))]
    c.run(30)
    out.append(str(c.kubectl("get pods -o wide")))
    c.patch("deployments", "web", {"spec": {"template": {"spec": {"containers": [
        {"name": "nginx", "image": "nginx:1.16.1"}]}}}})
    c.run(60)
    c.kill_pod(c.list("pods")[0]["metadata"]["name"])
    c.run(30)
    out.append(str(c.kubectl("get rs,pods -o wide")))
    out.append(str(c.kubectl("describe deployment web")))
    out.append(c.events().to_csv())
    out.append(c.snapshot().decode())
    return out


def test_same_seed_same_bytes():
    a, b = scenario(11), scenario(11)
    for x, y in zip(a, b):
        assert x == y


def test_another_seed_other_names():
    a, b = scenario(11), scenario(12)
    assert a[1] != b[1]  # pod names differ with the seed
