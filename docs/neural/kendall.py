# Kendall tau-b between two compare JSONs' orderings of the policies, per tenant (docs/neural.md).
# Usage: python3 docs/neural/kendall.py NEURAL.json SURROGATE.json
import json, statistics, sys, itertools
def load(p):
    d = json.load(open(p)); res = {}
    for r in d['results']:
        res.setdefault(r['tenant'], {}).setdefault(r['policy'], []).append(r)
    return d, res
def score(rs):
    # the table's order: more seeds met first, then the median time over the met seeds
    met = sorted(r['timeToTarget'] for r in rs if r['met'])
    return (-len(met), statistics.median(met) if met else float('inf'))
def kendall(a, b):
    pol = list(a); c = d = ta = tb = 0
    for x, y in itertools.combinations(pol, 2):
        da = (a[x] > a[y]) - (a[x] < a[y]); db = (b[x] > b[y]) - (b[x] < b[y])
        if da == 0 and db == 0: continue
        if da == 0: ta += 1; continue
        if db == 0: tb += 1; continue
        if da == db: c += 1
        else: d += 1
    den = ((c + d + ta) * (c + d + tb)) ** 0.5
    return (c - d) / den if den else float('nan')
_, n = load(sys.argv[1]); _, s = load(sys.argv[2])
allA, allB = {}, {}
for t in n:
    a = {p: score(rs) for p, rs in n[t].items()}; b = {p: score(rs) for p, rs in s[t].items()}
    print(t, "neural", sorted(a, key=a.get), "surrogate", sorted(b, key=b.get), "tau-b %.2f" % kendall(a, b))
    for p in a: allA[(t, p)] = a[p]; allB[(t, p)] = b[p]
taus = [kendall({p: allA[(t, p)] for (tt, p) in allA if tt == t}, {p: allB[(t, p)] for (tt, p) in allB if tt == t}) for t in n]
print("mean tau-b over tenants %.2f" % (sum(taus) / len(taus)))
