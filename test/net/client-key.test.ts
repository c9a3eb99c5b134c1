import { clientKeyOf } from "../../src/net/client-key.js";

test("an IPv4 address is its own client key", () => {
  expect(clientKeyOf("203.0.113.7")).toBe("203.0.113.7");
});

test("an IPv4-mapped IPv6 address is keyed as its IPv4 address", () => {
  expect(clientKeyOf("::ffff:203.0.113.7")).toBe("203.0.113.7");
  expect(clientKeyOf("::FFFF:cb00:7107")).toBe("203.0.113.7");
});

test("IPv6 addresses are keyed by their /64, however they are written", () => {
  expect(clientKeyOf("2001:db8:aa:bb::1")).toBe("2001:db8:aa:bb::/64");
  expect(clientKeyOf("2001:0DB8:00aa:00bb:ffff:1:2:3")).toBe("2001:db8:aa:bb::/64");
  expect(clientKeyOf("2001:db8:aa:bb:1:2:3.4.5.6")).toBe("2001:db8:aa:bb::/64");
  expect(clientKeyOf("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
  expect(clientKeyOf("2001:db8::")).toBe("2001:db8:0:0::/64");
  expect(clientKeyOf("::1")).toBe("0:0:0:0::/64");
});

test("another /64 is another client", () => {
  expect(clientKeyOf("2001:db8:aa:bc::1")).not.toBe(clientKeyOf("2001:db8:aa:bb::1"));
});

test("something that is not an address has no key", () => {
  expect(clientKeyOf("not-an-address")).toBeUndefined();
  expect(clientKeyOf(undefined)).toBeUndefined();
});
