import { describe, expect, it } from "vitest";
import type { ReferralView } from "../bindings/ReferralView";
import { FakeBackend, SAMPLE_REFERRALS } from "./fakeBackend";
import { ReferralState } from "./referralState.svelte";

const ZHANG = "ref-20261128-01";

function headBackend() {
  return new FakeBackend({ loggedIn: true, account: "head" });
}

describe("ReferralState", () => {
  it("loads the inbox newest first and finds the open referral", async () => {
    const referrals = new ReferralState();
    await referrals.load(headBackend());
    expect(referrals.referrals.map((referral) => referral.id)).toEqual(SAMPLE_REFERRALS.map((referral) => referral.id));
    referrals.openId = ZHANG;
    expect(referrals.open?.patient.name).toBe("张伟");
  });

  it("keeps a decision when an older load answers after it", async () => {
    const backend = headBackend();
    const referrals = new ReferralState();
    await referrals.load(backend);
    const release = backend.hold("referralInbox");
    const reloading = referrals.load(backend);
    expect(await referrals.decide(backend, ZHANG, "accepted", "")).toBeNull();
    release();
    await reloading;
    expect(referrals.open).toBeNull();
    expect(referrals.referrals.find((referral) => referral.id === ZHANG)?.decision).toBe("accepted");
    expect(referrals.loading).toBe(false);
    expect(referrals.decided).toBe(1);
  });

  it("never puts an answer about another referral in its place", async () => {
    const backend = headBackend();
    const referrals = new ReferralState();
    await referrals.load(backend);
    const other: ReferralView = { ...SAMPLE_REFERRALS[1]!, decision: "accepted" };
    backend.decideReferral = async () => other;
    const failure = await referrals.decide(backend, ZHANG, "accepted", "");
    expect(failure?.code).toBe("MalformedData");
    expect(referrals.referrals.map((referral) => referral.decision)).toEqual(
      SAMPLE_REFERRALS.map((referral) => referral.decision),
    );
    expect(referrals.deciding).toBeNull();
    expect(referrals.decided).toBe(0);
  });

  it("returns the core's failure and changes nothing", async () => {
    const backend = headBackend();
    backend.failures.decideReferral = { code: "PlatformError", message: "409 Conflict" };
    const referrals = new ReferralState();
    await referrals.load(backend);
    const failure = await referrals.decide(backend, ZHANG, "declined", "not ours");
    expect(failure).toMatchObject({ code: "PlatformError", message: "409 Conflict" });
    expect(referrals.referrals[0]?.decision).toBe("pending");
  });
});
