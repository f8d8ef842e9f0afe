#!/usr/bin/python3
"""PyTorch reference of the StarGAN-style generator/discriminator specified in ../doc.go.

Used by the Go package for (1) a numerical parity test of one training step and (2) a speed peer
benchmark. Only the standard library, numpy and torch are needed; safetensors files are read and
written by hand because the `safetensors` package is not installed.

Modes:
  ref.py init OUT [--size 64 --styles 6 --gen-width 8 --disc-width 8 --res-blocks 1 --batch 2 --seed 1]
      Write random weights + random inputs (x, c_org, c_trg) with the config in the metadata.
  ref.py parity IN OUT [--double]
      Run ONE training step (G step then D step, Adam on both) and write every intermediate.
  ref.py bench [--size 64 --batch 16 --steps 10 --styles 6 --gen-width 16 --disc-width 32
                --res-blocks 3 --threads 2 --warmup 2]
      Time full training steps and print one JSON line.
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

# The model, its training step and the safetensors I/O are the studio's trainer's own (one copy).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "torchtrain"))
from train import StarGAN, make_optimizers, read_safetensors, train_step, write_safetensors  # noqa: E402

# Metadata keys that make up the model/training config, with their parsers.
CONFIG_KEYS = {
    "size": int,
    "styles": int,
    "gen_width": int,
    "disc_width": int,
    "res_blocks": int,
    "lambda_cls": float,
    "lambda_rec": float,
    "lr": float,
    "beta1": float,
    "beta2": float,
}

# StarGAN's published training defaults; used by init/bench when not given.
DEFAULT_LAMBDA_CLS = 1.0
DEFAULT_LAMBDA_REC = 10.0
DEFAULT_LR = 1e-4
DEFAULT_BETA1 = 0.5
DEFAULT_BETA2 = 0.999


def parse_config(meta, path):
    cfg = {}
    for key, conv in CONFIG_KEYS.items():
        if key not in meta:
            raise ValueError(f"{path}: metadata key {key!r} missing (need {', '.join(CONFIG_KEYS)})")
        try:
            cfg[key] = conv(meta[key])
        except ValueError:
            raise ValueError(f"{path}: metadata {key}={meta[key]!r} is not a valid {conv.__name__}") from None
    cfg["lambda_content"] = float(meta.get("lambda_content", "0"))  # optional: 0 leaves the content loss out
    cfg["content_pool"] = int(meta.get("content_pool", "0"))  # optional: 0 or 1 compares pixel by pixel
    cfg["lambda_pair"] = float(meta.get("lambda_pair", "0"))  # optional: 0 leaves the paired loss out
    size = cfg["size"]
    if size < 8 or size & (size - 1):
        raise ValueError(f"{path}: size {size} must be a power of two >= 8")
    return cfg


# ---------------------------------------------------------------------------------------------
# Modes


def setup_torch(threads):
    torch.set_num_threads(threads)
    torch.set_default_dtype(torch.float32)
    torch.use_deterministic_algorithms(True)  # CPU kernels used here all have deterministic versions


def random_inputs(gen, batch, cfg):
    size, styles = cfg["size"], cfg["styles"]
    x = torch.rand(batch, 3, size, size, generator=gen) * 2 - 1
    c_org = F.one_hot(torch.randint(styles, (batch,), generator=gen), styles).float()
    c_trg = F.one_hot(torch.randint(styles, (batch,), generator=gen), styles).float()
    return x, c_org, c_trg


def randomize_norms(model, gen):
    # PyTorch inits IN to scale 1 / shift 0; perturb them so their gradients and updates are exercised.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if ".in" in name and name.endswith(".weight"):
                p.copy_(1 + 0.1 * torch.randn(p.shape, generator=gen))
            elif ".in" in name and name.endswith(".bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=gen))


def cfg_from_args(a):
    return {
        "size": a.size,
        "styles": a.styles,
        "gen_width": a.gen_width,
        "disc_width": a.disc_width,
        "res_blocks": a.res_blocks,
        "lambda_cls": a.lambda_cls,
        "lambda_rec": a.lambda_rec,
        "lr": a.lr,
        "beta1": a.beta1,
        "beta2": a.beta2,
    }


def cmd_init(a):
    setup_torch(a.threads)
    cfg = cfg_from_args(a)
    parse_config({k: str(v) for k, v in cfg.items()}, "arguments")  # same validation as parity
    torch.manual_seed(a.seed)  # module default init draws from the global generator
    model = StarGAN(cfg)
    gen = torch.Generator().manual_seed(a.seed + 1)
    randomize_norms(model, gen)
    x, c_org, c_trg = random_inputs(gen, a.batch, cfg)
    tensors = {name: p for name, p in model.named_parameters()}
    tensors.update({"x": x, "c_org": c_org, "c_trg": c_trg})
    meta = {k: repr(v) if isinstance(v, float) else str(v) for k, v in cfg.items()}
    write_safetensors(a.out, tensors, meta)


def check_one_hot(c, name, batch, styles, path):
    if tuple(c.shape) != (batch, styles):
        raise ValueError(f"{path}: {name!r} has shape {tuple(c.shape)}, want ({batch}, {styles})")
    ok = ((c == 0) | (c == 1)).all() and (c.sum(1) == 1).all()
    if not ok:
        raise ValueError(f"{path}: {name!r} rows must be one-hot")


def cmd_parity(a):
    setup_torch(a.threads)
    tensors, meta = read_safetensors(a.inp)
    cfg = parse_config(meta, a.inp)
    dtype = torch.float64 if a.double else torch.float32

    model = StarGAN(cfg).to(dtype)
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, p in params.items():
            if name not in tensors:
                raise ValueError(f"{a.inp}: missing tensor {name!r} (shape {tuple(p.shape)})")
            src = tensors[name]
            if tuple(src.shape) != tuple(p.shape):
                raise ValueError(f"{a.inp}: tensor {name!r} has shape {tuple(src.shape)}, want {tuple(p.shape)}")
            p.copy_(torch.from_numpy(src))
    inputs = {}
    for name in ("x", "c_org", "c_trg"):
        if name not in tensors:
            raise ValueError(f"{a.inp}: missing input tensor {name!r}")
        inputs[name] = torch.from_numpy(tensors[name]).to(dtype)
    x = inputs["x"]
    size = cfg["size"]
    if x.dim() != 4 or tuple(x.shape[1:]) != (3, size, size):
        raise ValueError(f"{a.inp}: 'x' has shape {tuple(x.shape)}, want (B, 3, {size}, {size})")
    batch = x.shape[0]
    for name in ("c_org", "c_trg"):
        check_one_hot(inputs[name], name, batch, cfg["styles"], a.inp)
    pair = None
    if cfg["lambda_pair"] > 0:  # the counterparts and the paired loss's weight per sample
        for name in ("pair", "pair_weight"):
            if name not in tensors:
                raise ValueError(f"{a.inp}: lambda_pair is set but input tensor {name!r} is missing")
        y = torch.from_numpy(tensors["pair"]).to(dtype)
        if tuple(y.shape) != tuple(x.shape):
            raise ValueError(f"{a.inp}: 'pair' has shape {tuple(y.shape)}, want {tuple(x.shape)}")
        pair = (y, torch.from_numpy(tensors["pair_weight"]).to(dtype).view(-1, 1, 1, 1))
    extra = set(tensors) - set(params) - set(inputs) - ({"pair", "pair_weight"} if pair else set())
    if extra:
        print(f"ref.py: ignoring unknown tensors in {a.inp}: {sorted(extra)}", file=sys.stderr)

    opt_g, opt_d = make_optimizers(model, cfg)
    r = train_step(model, opt_g, opt_d, cfg, x, inputs["c_org"], inputs["c_trg"], pair=pair)

    out = {k: r[k] for k in ("fake", "rec", "d_src_real", "d_cls_real", "d_src_fake", "d_cls_fake")}
    for k, v in r["losses"].items():
        out[f"loss.{k}"] = v.detach().reshape(1)
    for (name, _), gr in zip(model.g.named_parameters(prefix="g"), r["g_grads"]):
        out[f"grad.{name}"] = gr
    for (name, _), gr in zip(model.d.named_parameters(prefix="d"), r["d_grads"]):
        out[f"grad.{name}"] = gr
    for name, p in model.named_parameters():
        out[f"new.{name}"] = p
        opt = opt_g if name.startswith("g.") else opt_d
        state = opt.state[p]
        # Moments after the step, under the checkpoint's names, for resume parity.
        out[f"adam.m.{name}"] = state["exp_avg"]
        out[f"adam.v.{name}"] = state["exp_avg_sq"]
    for name, t in out.items():
        if not torch.isfinite(t).all():
            raise RuntimeError(f"non-finite values in output {name!r}")
    meta_out = dict(meta)
    meta_out["ref_torch"] = torch.__version__
    meta_out["ref_dtype"] = "float64" if a.double else "float32"
    write_safetensors(a.out, out, meta_out)


def cmd_bench(a):
    setup_torch(a.threads)
    cfg = cfg_from_args(a)
    parse_config({k: str(v) for k, v in cfg.items()}, "arguments")
    torch.manual_seed(a.seed)
    model = StarGAN(cfg)
    opt_g, opt_d = make_optimizers(model, cfg)
    gen = torch.Generator().manual_seed(a.seed + 1)
    # A few distinct batches so the timing is not of one cached input.
    batches = [random_inputs(gen, a.batch, cfg) for _ in range(4)]

    def step(i):
        x, c_org, c_trg = batches[i % len(batches)]
        train_step(model, opt_g, opt_d, cfg, x, c_org, c_trg)

    for i in range(a.warmup):
        step(i)
    t0 = time.perf_counter()
    for i in range(a.steps):
        step(a.warmup + i)
    elapsed = time.perf_counter() - t0
    sps = elapsed / a.steps
    print(
        json.dumps(
            {
                "images_per_s": a.batch / sps,
                "seconds_per_step": sps,
                "threads": torch.get_num_threads(),
                "torch": torch.__version__,
                "size": a.size,
                "batch": a.batch,
                "steps": a.steps,
                "styles": a.styles,
                "gen_width": a.gen_width,
                "disc_width": a.disc_width,
                "res_blocks": a.res_blocks,
            }
        )
    )


def add_config_args(p, gen_width, disc_width, res_blocks, batch):
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--styles", type=int, default=6)
    p.add_argument("--gen-width", type=int, default=gen_width)
    p.add_argument("--disc-width", type=int, default=disc_width)
    p.add_argument("--res-blocks", type=int, default=res_blocks)
    p.add_argument("--batch", type=int, default=batch)
    p.add_argument("--lambda-cls", type=float, default=DEFAULT_LAMBDA_CLS)
    p.add_argument("--lambda-rec", type=float, default=DEFAULT_LAMBDA_REC)
    p.add_argument("--lr", type=float, default=DEFAULT_LR)
    p.add_argument("--beta1", type=float, default=DEFAULT_BETA1)
    p.add_argument("--beta2", type=float, default=DEFAULT_BETA2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)


def main(argv=None):
    ap = argparse.ArgumentParser(description="PyTorch reference for engine/gan (see doc.go).")
    sub = ap.add_subparsers(dest="mode", required=True)

    p = sub.add_parser("init", help="write random weights + inputs for the parity mode")
    p.add_argument("out")
    add_config_args(p, gen_width=8, disc_width=8, res_blocks=1, batch=2)
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("parity", help="run one training step on IN, write intermediates to OUT")
    p.add_argument("inp", metavar="IN")
    p.add_argument("out", metavar="OUT")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--double", action="store_true", help="compute in float64 (outputs still F32)")
    p.set_defaults(func=cmd_parity)

    p = sub.add_parser("bench", help="time full training steps, print one JSON line")
    add_config_args(p, gen_width=16, disc_width=32, res_blocks=3, batch=16)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.set_defaults(func=cmd_bench)

    a = ap.parse_args(argv)
    try:
        a.func(a)
    except (ValueError, RuntimeError, OSError) as e:
        print(f"ref.py {a.mode}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
