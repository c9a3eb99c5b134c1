import type { Express } from "express";
import { validIpAddress } from "../net/ip-address.js";

/**
 * Makes `req.ip` an address or nothing. With `trust proxy` set, express
 * takes the client address from X-Forwarded-For without checking that it
 * is one, so a client could make it any text ("garbage", "1.2.3.4:80"),
 * which then failed every write of it to an inet column. Every consumer
 * (authentication, request settings, failure limits, security events) reads
 * req.ip, so validating it here, once, covers them all.
 */
export function validatedClientAddress(app: Express): void {
  const expressIp = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(app.request), "ip");
  if (!expressIp?.get) throw new Error("express no longer defines req.ip as a getter");
  const computed = expressIp.get;
  Object.defineProperty(app.request, "ip", {
    configurable: true,
    enumerable: true,
    get(this: unknown) {
      return validIpAddress(computed.call(this));
    },
  });
}
