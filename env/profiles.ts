/**
 * The four foundation-model profiles of MODEL.md section 6, per training sample, with the
 * quantities of a cut after k blocks (SFL: blocks 1..k on the device, the rest on the edge server).
 *
 * Sources (as in MODEL.md): widths, block counts and parameter counts from the models' published
 * configurations (ViT-B/16: Dosovitskiy et al. 2021; BERT-base: Devlin et al. 2019; Whisper-small:
 * Radford et al. 2022; LLaMA-7B: Touvron et al. 2023). Forward FLOPs = 2 x parameters x tokens plus
 * the attention term. Smashed data = tokens x width x 2 bytes (fp16). LoRA (Hu et al. 2022) rank 8 on
 * the attention q and v projections: 2 matrices x r x (d_in + d_out) parameters per adapted block.
 */

export type Modality = "image" | "text" | "audio";
export type FmType = "vit" | "bert" | "whisper" | "llama";

export const FM_TYPES: readonly FmType[] = ["vit", "bert", "whisper", "llama"];
export const MODALITIES: readonly Modality[] = ["image", "text", "audio"];

export interface FmProfile {
  readonly type: FmType;
  readonly model: string;
  readonly modality: Modality;
  /** Transformer blocks that can sit on either side of the cut (Whisper: encoder blocks). */
  readonly blocks: number;
  readonly width: number;
  readonly tokens: number;
  /** Forward FLOPs per sample of the whole model (Whisper: encoder only, as in MODEL.md). */
  readonly forwardFlops: number;
  /** Forward FLOPs per sample of one block. */
  readonly blockFlops: number;
  /** LoRA parameters of all adapted blocks (Whisper: 12 encoder + 12 decoder self + 12 cross). */
  readonly loraParams: number;
  /** LoRA parameters of one cuttable block: 2 x rank x (width + width). */
  readonly loraParamsPerBlock: number;
}

const LORA_RANK = 8;
const qvLora = (width: number) => 2 * LORA_RANK * (width + width);

/** MODEL.md section 6 table. Per-block FLOPs are the table's; the remainder is stem/head. */
export const PROFILES: Readonly<Record<FmType, FmProfile>> = Object.freeze({
  vit: {
    type: "vit",
    model: "ViT-B/16, 224 px",
    modality: "image",
    blocks: 12,
    width: 768,
    tokens: 197,
    forwardFlops: 35.2e9,
    blockFlops: 2.91e9,
    loraParams: 294_912,
    loraParamsPerBlock: qvLora(768),
  },
  bert: {
    type: "bert",
    model: "BERT-base, seq 128",
    modality: "text",
    blocks: 12,
    width: 768,
    tokens: 128,
    forwardFlops: 22.4e9,
    blockFlops: 1.86e9,
    loraParams: 294_912,
    loraParamsPerBlock: qvLora(768),
  },
  whisper: {
    type: "whisper",
    model: "Whisper-small encoder, 30 s",
    modality: "audio",
    blocks: 12,
    width: 768,
    tokens: 1500,
    forwardFlops: 344e9,
    blockFlops: 28.2e9,
    loraParams: 884_736,
    loraParamsPerBlock: qvLora(768),
  },
  llama: {
    type: "llama",
    model: "LLaMA-7B, seq 512",
    modality: "text",
    blocks: 32,
    width: 4096,
    tokens: 512,
    forwardFlops: 6.9e12,
    blockFlops: 212e9,
    loraParams: 4_194_304,
    loraParamsPerBlock: qvLora(4096),
  },
});

/** What a tenant's cut costs, per training sample (device side) and per round (adapter exchange). */
export interface CutCosts {
  readonly cutLayer: number;
  /** F_i^dev: device-side training FLOPs per sample = 2 x forward FLOPs of blocks 1..k (LoRA). */
  readonly deviceFlops: number;
  /** F_i^srv: server-side training FLOPs per sample = 2 x the remaining forward FLOPs. */
  readonly serverFlops: number;
  /** S_i: smashed-data bytes per sample, each way (activations up, their gradients down). */
  readonly smashedBytes: number;
  /** A_i: device-side adapter bytes (LoRA parameters of blocks 1..k, fp16), each way per round. */
  readonly adapterBytes: number;
}

/**
 * The costs of cutting `type` after `cutLayer` blocks (1 <= k <= blocks - 1, so both sides hold at
 * least one block). Training with frozen base weights and LoRA costs about 2x the forward pass
 * (forward plus activation gradients; the adapter's weight gradients are negligible); full
 * fine-tuning would be 3x. Simplification (ours): the non-block remainder of the forward FLOPs
 * (patch embedding, Whisper's conv front end, LLaMA's LM head; under 2% except LLaMA's head) is
 * counted on the server side, as MODEL.md counts only the k blocks on the device.
 */
export function cutCosts(type: FmType, cutLayer: number): CutCosts {
  const p = PROFILES[type];
  if (!(Number.isInteger(cutLayer) && cutLayer >= 1 && cutLayer <= p.blocks - 1))
    throw new RangeError(`cut layer of ${type} must be an integer in [1, ${p.blocks - 1}], got ${cutLayer}`);
  const deviceForward = cutLayer * p.blockFlops;
  return {
    cutLayer,
    deviceFlops: 2 * deviceForward,
    serverFlops: 2 * (p.forwardFlops - deviceForward),
    smashedBytes: p.tokens * p.width * 2,
    adapterBytes: cutLayer * p.loraParamsPerBlock * 2,
  };
}
