// Tests the string formats: DNS-1123 names, qualified names, label values, IANA service names, interface names.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  checkDns1123Label,
  checkDns1123Subdomain,
  checkIanaSvcName,
  checkInterfaceName,
  checkLabelValue,
  checkQualifiedName,
  type FormatProblem,
} from "./formats.ts";

type Table = [value: string, rules: string[]][];

function runTable(title: string, check: (value: string) => FormatProblem[], table: Table): void {
  describe(title, () => {
    for (const [value, rules] of table) {
      const verdict = rules.length === 0 ? "accepts" : `refuses with ${rules.join(", ")}`;
      test(`${verdict} ${JSON.stringify(value.length > 40 ? `${value.slice(0, 20)}...(${value.length})` : value)}`, () => {
        assert.deepEqual(
          check(value).map((p) => p.rule),
          rules,
        );
      });
    }
  });
}

runTable("a DNS-1123 label", checkDns1123Label, [
  ["prod", []],
  ["a-1", []],
  ["0abc", []],
  ["a".repeat(63), []],
  ["a".repeat(64), ["too_long"]],
  ["Prod", ["dns1123_label"]],
  ["-a", ["dns1123_label"]],
  ["a-", ["dns1123_label"]],
  ["a.b", ["dns1123_label"]],
  ["", ["dns1123_label"]],
]);

runTable("a DNS-1123 subdomain", checkDns1123Subdomain, [
  ["web", []],
  ["web.example.com", []],
  [`${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}`, []],
  [`${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(62)}`, ["too_long"]],
  ["web..x", ["dns1123_subdomain"]],
  ["Web", ["dns1123_subdomain"]],
  ["web_1", ["dns1123_subdomain"]],
  [".web", ["dns1123_subdomain"]],
]);

runTable("a qualified name (label key)", checkQualifiedName, [
  ["app", []],
  ["App.Name_1", []],
  ["example.com/app", []],
  ["kubernetes.io/metadata.name", []],
  ["a".repeat(63), []],
  ["a".repeat(64), ["qualified_name"]],
  ["/app", ["qualified_name"]],
  ["example.com/", ["qualified_name"]],
  ["a/b/c", ["qualified_name"]],
  ["Example.com/app", ["qualified_name"]],
  ["_app", ["qualified_name"]],
  ["app-", ["qualified_name"]],
  ["", ["qualified_name"]],
]);

runTable("a label value", checkLabelValue, [
  ["", []],
  ["web", []],
  ["Web_1.2-x", []],
  ["a".repeat(63), []],
  ["a".repeat(64), ["too_long"]],
  ["-web", ["label_value"]],
  ["web ", ["label_value"]],
  ["a/b", ["label_value"]],
]);

runTable("an IANA service name", checkIanaSvcName, [
  ["http", []],
  ["http-alt", []],
  ["h2c", []],
  ["a".repeat(15), []],
  ["a".repeat(16), ["iana_svc_name"]],
  ["80", ["iana_svc_name"]],
  ["HTTP", ["iana_svc_name"]],
  ["-http", ["iana_svc_name"]],
  ["http-", ["iana_svc_name"]],
  ["http--alt", ["iana_svc_name"]],
  ["", ["iana_svc_name"]],
]);

runTable("a Linux interface name", checkInterfaceName, [
  ["veth1", []],
  ["lxc-abc.12_x", []],
  ["a".repeat(15), []],
  ["a".repeat(16), ["interface_name"]],
  ["ééééééééé", ["interface_name"]],
  ["", ["interface_name"]],
  [".", ["interface_name"]],
  ["..", ["interface_name"]],
  ["eth0/1", ["interface_name"]],
  ["eth0:1", ["interface_name"]],
  ["eth 0", ["interface_name"]],
  ["eth\u00000", ["interface_name"]],
]);

describe("format messages", () => {
  test("a broken IANA service name message says every rule it breaks", () => {
    const [problem] = checkIanaSvcName("-80");
    assert.match(problem!.requirement, /at least one letter/);
    assert.match(problem!.requirement, /not start or end with '-'/);
  });
});
