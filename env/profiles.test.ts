import { describe, expect, it } from "vitest";
import { cutCosts, FM_TYPES, PROFILES } from "./profiles.ts";

describe("PROFILES", () => {
  it("match the MODEL.md table: LoRA totals, smashed sizes, per-block FLOPs", () => {
    // LoRA rank 8 on q and v: ViT/BERT 12 blocks, Whisper 36 attention modules, LLaMA 32 blocks.
    expect(PROFILES.vit.loraParamsPerBlock * 12).toBe(PROFILES.vit.loraParams);
    expect(PROFILES.bert.loraParamsPerBlock * 12).toBe(PROFILES.bert.loraParams);
    expect(PROFILES.whisper.loraParamsPerBlock * 36).toBe(PROFILES.whisper.loraParams);
    expect(PROFILES.llama.loraParamsPerBlock * 32).toBe(PROFILES.llama.loraParams);
    const mb = (t: keyof typeof PROFILES) => cutCosts(t, 1).smashedBytes / 1e6;
    expect(mb("vit")).toBeCloseTo(0.3, 1);
    expect(mb("bert")).toBeCloseTo(0.2, 1);
    expect(mb("whisper")).toBeCloseTo(2.3, 1);
    expect(mb("llama")).toBeCloseTo(4.2, 1);
    for (const t of FM_TYPES) {
      const p = PROFILES[t];
      // blocks account for most of the forward pass, never more than all of it
      expect(p.blocks * p.blockFlops).toBeLessThanOrEqual(p.forwardFlops);
      expect(p.blocks * p.blockFlops).toBeGreaterThan(0.95 * p.forwardFlops);
    }
    expect(PROFILES.whisper.modality).toBe("audio");
    expect(PROFILES.llama.modality).toBe("text");
  });
});

describe("cutCosts", () => {
  it("ViT cut after 2 blocks, by hand", () => {
    const c = cutCosts("vit", 2);
    expect(c.deviceFlops).toBeCloseTo(2 * 2 * 2.91e9, -3);
    expect(c.serverFlops).toBeCloseTo(2 * (35.2e9 - 2 * 2.91e9), -3);
    expect(c.smashedBytes).toBe(197 * 768 * 2);
    expect(c.adapterBytes).toBe(2 * 24_576 * 2);
  });

  it("device plus server FLOPs is twice the forward pass, for every cut", () => {
    for (const t of FM_TYPES)
      for (let k = 1; k < PROFILES[t].blocks; k++) {
        const c = cutCosts(t, k);
        expect(c.deviceFlops + c.serverFlops).toBeCloseTo(2 * PROFILES[t].forwardFlops, -6);
      }
  });

  it("rejects cuts that leave a side empty", () => {
    expect(() => cutCosts("bert", 0)).toThrow(/\[1, 11\]/);
    expect(() => cutCosts("llama", 32)).toThrow(/\[1, 31\]/);
    expect(() => cutCosts("vit", 1.5)).toThrow(RangeError);
  });
});
