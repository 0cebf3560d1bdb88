import { describe, expect, it } from "vitest";
import { operationKinds } from "./faults.ts";

describe("operationKinds", () => {
  it("maps each listed method to its kind; unlisted methods stay unmonitored", () => {
    interface Repo {
      get(): Promise<void>;
      put(): Promise<void>;
      drop(): Promise<void>;
      close(): Promise<void>;
    }
    expect(operationKinds<Repo>({ read: ["get"], write: ["put"], delete: ["drop"] })).toEqual({
      get: "read",
      put: "write",
      drop: "delete",
    });
  });
});
