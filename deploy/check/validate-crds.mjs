// Validate prometheus-operator objects (monitoring.coreos.com/*) against the CRD schemas
// that @kubernetes-models/prometheus-operator carries (ajv validators generated from the
// CRDs' OpenAPI). Input: YAML files (multi-document) named on the command line, or stdin.
// Output: one JSON line per object, {"kind", "name", "ok", "error"}; exit 0 when every
// object is valid, 1 when one is not, 2 when an object's kind has no schema here (nothing
// is skipped silently). Objects of other API groups are ignored: kubernetes-validate
// checks those.
import { readFileSync } from "node:fs";
import * as yaml from "js-yaml";

const GROUP = "monitoring.coreos.com/";
const modules = {
  "monitoring.coreos.com/v1": await import("@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1"),
  "monitoring.coreos.com/v1alpha1": await import("@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1alpha1"),
};

const paths = process.argv.slice(2);
const texts = paths.length ? paths.map((p) => readFileSync(p, "utf8")) : [readFileSync(0, "utf8")];
let status = 0;
for (const text of texts) {
  for (const doc of yaml.loadAll(text)) {
    if (!doc || typeof doc.apiVersion !== "string" || !doc.apiVersion.startsWith(GROUP)) continue;
    const name = doc.metadata?.name ?? "";
    const Kind = modules[doc.apiVersion]?.[doc.kind];
    if (typeof Kind !== "function") {
      console.log(JSON.stringify({ kind: doc.kind, name, ok: false, error: `no schema for ${doc.apiVersion} ${doc.kind}` }));
      status = Math.max(status, 2);
      continue;
    }
    try {
      new Kind(doc).validate();
      console.log(JSON.stringify({ kind: doc.kind, name, ok: true }));
    } catch (err) {
      console.log(JSON.stringify({ kind: doc.kind, name, ok: false, error: String(err.message ?? err) }));
      status = Math.max(status, 1);
    }
  }
}
process.exit(status);
