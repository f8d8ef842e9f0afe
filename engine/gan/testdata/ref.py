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
import math
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

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
ADAM_EPS = 1e-8
IN_EPS = 1e-5
LEAKY_SLOPE = 0.01

LOSS_NAMES = ["g_adv", "g_cls", "g_rec", "g", "d_real", "d_fake", "d_cls", "d"]


# ---------------------------------------------------------------------------------------------
# safetensors I/O


_DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8"), "I64": np.dtype("<i8"), "I32": np.dtype("<i4")}


def read_safetensors(path):
    """Return (dict name -> numpy array, metadata dict)."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: too short to be a safetensors file")
    (hlen,) = struct.unpack("<Q", raw[:8])
    if 8 + hlen > len(raw):
        raise ValueError(f"{path}: header length {hlen} exceeds file size {len(raw)}")
    header = json.loads(raw[8 : 8 + hlen].decode("utf-8"))
    data = raw[8 + hlen :]
    meta = header.pop("__metadata__", None) or {}
    tensors = {}
    for name, info in header.items():
        dt = _DTYPES.get(info["dtype"])
        if dt is None:
            raise ValueError(f"{path}: tensor {name!r} has unsupported dtype {info['dtype']}")
        begin, end = info["data_offsets"]
        shape = tuple(info["shape"])
        want = int(np.prod(shape, dtype=np.int64)) * dt.itemsize
        if end - begin != want or end > len(data):
            raise ValueError(f"{path}: tensor {name!r} has bad data_offsets {begin},{end} for shape {shape}")
        tensors[name] = np.frombuffer(data, dtype=dt, count=want // dt.itemsize, offset=begin).reshape(shape).copy()
    return tensors, meta


def write_safetensors(path, tensors, meta=None):
    """Write float32 tensors (name -> numpy array or torch tensor) in sorted name order."""
    header = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name]
        if isinstance(t, torch.Tensor):
            t = t.detach().cpu().numpy()
        arr = np.ascontiguousarray(t, dtype="<f4")
        blob = arr.tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    if meta:
        header["__metadata__"] = {str(k): str(v) for k, v in meta.items()}
    hbytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hbytes += b" " * (-len(hbytes) % 8)  # pad so the data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hbytes)))
        f.write(hbytes)
        for blob in blobs:
            f.write(blob)


def parse_config(meta, path):
    cfg = {}
    for key, conv in CONFIG_KEYS.items():
        if key not in meta:
            raise ValueError(f"{path}: metadata key {key!r} missing (need {', '.join(CONFIG_KEYS)})")
        try:
            cfg[key] = conv(meta[key])
        except ValueError:
            raise ValueError(f"{path}: metadata {key}={meta[key]!r} is not a valid {conv.__name__}") from None
    size = cfg["size"]
    if size < 8 or size & (size - 1):
        raise ValueError(f"{path}: size {size} must be a power of two >= 8")
    return cfg


# ---------------------------------------------------------------------------------------------
# Model (parameter names match doc.go's checkpoint tensor names via StarGAN.named_parameters())


def conv(cin, cout, k, stride=1, pad=0):
    return nn.Conv2d(cin, cout, k, stride=stride, padding=pad, bias=False)


def inorm(c):
    return nn.InstanceNorm2d(c, eps=IN_EPS, affine=True, track_running_stats=False)


class ConvINReLU(nn.Module):
    """[optional nearest ×2 upsample], conv, IN, ReLU: g.enc{i} and g.dec{i}."""

    def __init__(self, cin, cout, k, stride, pad, upsample=False):
        super().__init__()
        self.up = nn.Upsample(scale_factor=2, mode="nearest") if upsample else None
        self.conv = conv(cin, cout, k, stride, pad)
        self.__setattr__("in", inorm(cout))  # "in" is a Python keyword, so set it by name

    def forward(self, x):
        if self.up is not None:
            x = self.up(x)
        return F.relu(getattr(self, "in")(self.conv(x)))


class ResBlock(nn.Module):
    """x + IN(conv3×3(ReLU(IN(conv3×3(x)))))."""

    def __init__(self, c):
        super().__init__()
        self.conv1 = conv(c, c, 3, 1, 1)
        self.in1 = inorm(c)
        self.conv2 = conv(c, c, 3, 1, 1)
        self.in2 = inorm(c)

    def forward(self, x):
        return x + self.in2(self.conv2(F.relu(self.in1(self.conv1(x)))))


class OutConv(nn.Module):
    """g.out: conv 7×7 → 3 channels, tanh (wrapped so the name is g.out.conv.weight)."""

    def __init__(self, cin):
        super().__init__()
        self.conv = conv(cin, 3, 7, 1, 3)

    def forward(self, x):
        return torch.tanh(self.conv(x))


class Generator(nn.Module):
    def __init__(self, styles, width, res_blocks):
        super().__init__()
        w = width
        self.enc0 = ConvINReLU(3 + styles, w, 7, 1, 3)
        self.enc1 = ConvINReLU(w, 2 * w, 4, 2, 1)
        self.enc2 = ConvINReLU(2 * w, 4 * w, 4, 2, 1)
        self.res_blocks = res_blocks
        for i in range(res_blocks):
            self.add_module(f"res{i}", ResBlock(4 * w))
        self.dec0 = ConvINReLU(4 * w, 2 * w, 3, 1, 1, upsample=True)
        self.dec1 = ConvINReLU(2 * w, w, 3, 1, 1, upsample=True)
        self.out = OutConv(w)

    def forward(self, x, c):
        b, s = c.shape
        planes = c.view(b, s, 1, 1).expand(b, s, x.shape[2], x.shape[3])
        h = self.enc2(self.enc1(self.enc0(torch.cat([x, planes], dim=1))))
        for i in range(self.res_blocks):
            h = getattr(self, f"res{i}")(h)
        return self.out(self.dec1(self.dec0(h)))


class ConvLeaky(nn.Module):
    """d.layer{i}: conv 4×4 s2 p1, LeakyReLU(0.01)."""

    def __init__(self, cin, cout):
        super().__init__()
        self.conv = conv(cin, cout, 4, 2, 1)

    def forward(self, x):
        return F.leaky_relu(self.conv(x), LEAKY_SLOPE)


class Discriminator(nn.Module):
    def __init__(self, size, styles, width):
        super().__init__()
        self.layers = int(round(math.log2(size))) - 2  # last map is 4×4
        cin = 3
        for i in range(self.layers):
            cout = width * 2**i
            self.add_module(f"layer{i}", ConvLeaky(cin, cout))
            cin = cout
        self.src = conv(cin, 1, 3, 1, 1)
        self.cls = conv(cin, styles, 4, 1, 0)

    def forward(self, x):
        h = x
        for i in range(self.layers):
            h = getattr(self, f"layer{i}")(h)
        return self.src(h), self.cls(h).flatten(1)  # (B,1,4,4), (B,S)


class StarGAN(nn.Module):
    """Holds g and d so named_parameters() yields exactly "g.*" and "d.*" checkpoint names."""

    def __init__(self, cfg):
        super().__init__()
        self.g = Generator(cfg["styles"], cfg["gen_width"], cfg["res_blocks"])
        self.d = Discriminator(cfg["size"], cfg["styles"], cfg["disc_width"])


# ---------------------------------------------------------------------------------------------
# Training step


def make_optimizers(model, cfg):
    betas = (cfg["beta1"], cfg["beta2"])
    opt_g = torch.optim.Adam(model.g.parameters(), lr=cfg["lr"], betas=betas, eps=ADAM_EPS)
    opt_d = torch.optim.Adam(model.d.parameters(), lr=cfg["lr"], betas=betas, eps=ADAM_EPS)
    return opt_g, opt_d


def train_step(model, opt_g, opt_d, cfg, x, c_org, c_trg):
    """One step in doc.go's order; returns a dict of activations, losses and grads (pre-update)."""
    g, d = model.g, model.d
    g_params = list(g.parameters())
    d_params = list(d.parameters())
    lbl_org = c_org.argmax(1)
    lbl_trg = c_trg.argmax(1)

    # G half: fakes computed once and reused (detached) by the D half.
    fake = g(x, c_trg)
    rec = g(fake, c_org)
    src_fake, cls_fake = d(fake)
    g_adv = ((src_fake - 1) ** 2).mean()
    g_cls = F.cross_entropy(cls_fake, lbl_trg)
    g_rec = (x - rec).abs().mean()
    loss_g = g_adv + cfg["lambda_cls"] * g_cls + cfg["lambda_rec"] * g_rec
    # autograd.grad so the G loss flows through D but only G params receive gradients.
    g_grads = torch.autograd.grad(loss_g, g_params)

    # D half: D still at its initial weights; fresh gradients.
    src_real, cls_real = d(x)
    src_fake_d, _ = d(fake.detach())
    d_real = ((src_real - 1) ** 2).mean()
    d_fake = (src_fake_d**2).mean()
    d_cls = F.cross_entropy(cls_real, lbl_org)
    loss_d = d_real + d_fake + cfg["lambda_cls"] * d_cls
    d_grads = torch.autograd.grad(loss_d, d_params)

    # Adam updates come after both halves so neither sees the other's new weights.
    for p, gr in zip(g_params, g_grads):
        p.grad = gr
    for p, gr in zip(d_params, d_grads):
        p.grad = gr
    opt_g.step()
    opt_d.step()

    return {
        "fake": fake,
        "rec": rec,
        "d_src_real": src_real,
        "d_cls_real": cls_real,
        "d_src_fake": src_fake,
        "d_cls_fake": cls_fake,
        "losses": dict(zip(LOSS_NAMES, [g_adv, g_cls, g_rec, loss_g, d_real, d_fake, d_cls, loss_d])),
        "g_grads": g_grads,
        "d_grads": d_grads,
    }


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
    extra = set(tensors) - set(params) - set(inputs)
    if extra:
        print(f"ref.py: ignoring unknown tensors in {a.inp}: {sorted(extra)}", file=sys.stderr)

    opt_g, opt_d = make_optimizers(model, cfg)
    r = train_step(model, opt_g, opt_d, cfg, x, inputs["c_org"], inputs["c_trg"])

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
