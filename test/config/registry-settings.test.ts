import { describe, expect, test } from "bun:test";
import { parseConfigText } from "../../src/config/load-config.ts";
import { DEFAULT_NETWORK, mergeRegistrySettings } from "../../src/config/registry-settings.ts";

function tier(name: "system" | "user" | "project", file: string, text: string) {
  return { name, file, config: parseConfigText(text, file) };
}

describe("mergeRegistrySettings", () => {
  test("resolves a relative ca_file from its config file", () => {
    const settings = mergeRegistrySettings([
      tier("system", "/etc/ocx/config.toml", '[registries."corp.example"]\nca_file = "certs/corp.pem"\n'),
    ]);
    expect(settings.caFiles["corp.example"]).toEqual({
      path: "/etc/ocx/certs/corp.pem",
      file: "/etc/ocx/config.toml",
    });
  });

  test("expands ~/ in ca_file", () => {
    const settings = mergeRegistrySettings(
      [tier("user", "/u/.ocx/config.toml", '[registries."corp.example:5000"]\nca_file = "~/ca.pem"\n')],
      { env: { HOME: "/home/alice" } },
    );
    expect(settings.caFiles["corp.example:5000"]?.path).toBe("/home/alice/ca.pem");
  });

  test("keeps insecure and tls beside host tables", () => {
    const config = parseConfigText(
      '[registries]\ninsecure = ["lan:5000"]\n[registries."corp.example"]\nca_file = "/ca.pem"\n',
      "c.toml",
    );
    expect(config.registries?.insecure).toEqual(["lan:5000"]);
  });

  test("reads mirrors with prefixes and request kinds", () => {
    const settings = mergeRegistrySettings([
      tier(
        "system",
        "/etc/ocx/config.toml",
        '[mirrors]\n"ocx.sh" = ["mirror.corp:5000/ocx", { host = "cache.corp", serves = ["digests"] }]\n',
      ),
    ]);
    expect(settings.mirrors["ocx.sh"]).toEqual([
      { registry: "mirror.corp:5000", prefix: "ocx", serves: ["tags", "digests"] },
      { registry: "cache.corp", prefix: "", serves: ["digests"] },
    ]);
  });

  test("lets a lower tier replace a mirror list and network values", () => {
    const settings = mergeRegistrySettings([
      tier("system", "/s.toml", '[mirrors]\n"a.example" = ["m1"]\n[network]\nretries = 5\n'),
      tier("user", "/u.toml", '[mirrors]\n"a.example" = ["m2"]\n[network]\nstall_timeout_ms = 100\n'),
    ]);
    expect(settings.mirrors["a.example"]?.map((mirror) => mirror.registry)).toEqual(["m2"]);
    expect(settings.network).toEqual({ ...DEFAULT_NETWORK, retries: 5, stallTimeoutMs: 100 });
  });

  test("keeps only system mirrors when asked", () => {
    const settings = mergeRegistrySettings(
      [
        tier("system", "/s.toml", '[mirrors]\n"a.example" = ["m1"]\n'),
        tier("user", "/u.toml", '[mirrors]\n"a.example" = ["m2"]\n"b.example" = ["m3"]\n'),
      ],
      { isMirrorsSystemOnly: true },
    );
    expect(Object.keys(settings.mirrors)).toEqual(["a.example"]);
    expect(settings.mirrors["a.example"]?.[0]?.registry).toBe("m1");
  });

  test("rejects an unknown mirror request kind", () => {
    expect(() => parseConfigText('[mirrors]\n"a" = [{ host = "m", serves = ["pushes"] }]\n', "c.toml")).toThrow(
      /mirrors/,
    );
  });
});
