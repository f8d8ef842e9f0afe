#!/usr/bin/env python3
"""Style Studio's PyTorch trainer: the GAN of engine/gan/doc.go, trained exactly as the built-in engine.

Same architecture and tensor names, losses, step order (G half, D half on the same fakes, then both Adam
updates), Adam settings, augmentation (crop within a white margin, flip, ±3% brightness, bit-exact with
the Go engine's gift filters) and data order (Go's math/rand/v2 PCG-DXSM generator, seeded and drawn in
the same order), so a run can move between this trainer and the built-in one at any checkpoint.

Data parallel under torchrun: every process draws the same global batch from the shared generator and
trains on its slice; gradients and losses are averaged with all_reduce (gloo on CPU, NCCL on CUDA). This
is DistributedDataParallel's arithmetic done by hand: DDP's backward hooks do not fit a step whose
generator loss flows through the discriminator and which takes gradients with autograd.grad.

Only the standard library, numpy and torch are needed (no safetensors or PIL package).

Modes:
  train.py train --data DIR --out DIR [--steps N] [--device cpu|cuda] [--run NAME] [--threads T]
      Train (or continue: the newest complete checkpoint in --out, else DIR/init) and print one JSON
      object per line on stdout (also appended to OUT/progress.jsonl). Touch OUT/STOP to stop after the
      current step with a checkpoint (SIGTERM/SIGINT do the same).
  train.py forward --ckpt WEIGHTS --in IN --out OUT     G(x, c) for IN's "x" and "c" (a parity test aid)
  train.py batches --data DIR --steps K --out OUT       the first K batches the trainer would draw
  train.py probe                                        one JSON line: torch version, CUDA devices
"""

import argparse
import datetime
import hashlib
import json
import math
import os
import signal
import struct
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

CHECKPOINT_FORMAT = "stylestudio-gan-1"
ADAM_EPS = 1e-8
IN_EPS = 1e-5
LEAKY_SLOPE = 0.01
AUGMENT_MARGIN = 16  # a product moves by up to size/16 pixels
LOSS_NAMES = ["g_adv", "g_cls", "g_rec", "g", "d_real", "d_fake", "d_cls", "d"]
EXIT_FAILED = 3  # the trainer stopped on an error it explained in an "error" line


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
    with open(path, "wb") as f:
        _write_safetensors(f, tensors, meta)


def _write_safetensors(f, tensors, meta):
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
    f.write(struct.pack("<Q", len(hbytes)))
    f.write(hbytes)
    for blob in blobs:
        f.write(blob)


def write_atomic(path, write):
    """Write a file whole or not at all: a temp file beside it (named so the studio's cleanup knows it),
    fsynced, renamed, and the folder fsynced."""
    folder = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".tmp-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    dfd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


# ---------------------------------------------------------------------------------------------
# Go's math/rand/v2 PCG (128-bit LCG, DXSM output) with Rand.IntN and Rand.Float64


M64 = (1 << 64) - 1
_PCG_MUL = (2549297995355413924 << 64) | 4865540595714422341
_PCG_INC = (6364136223846793005 << 64) | 1442695040888963407
_CHEAP_MUL = 0xDA942042E4DD58B5


class GoPCG:
    def __init__(self, hi, lo):
        self.state = (hi << 64) | lo

    @classmethod
    def from_hex(cls, text):
        raw = bytes.fromhex(text)
        if len(raw) != 20 or raw[:4] != b"pcg:":
            raise ValueError(f"random state {text!r} is not a Go PCG state")
        hi, lo = struct.unpack(">QQ", raw[4:])
        return cls(hi, lo)

    def to_hex(self):
        return (b"pcg:" + struct.pack(">QQ", self.state >> 64, self.state & M64)).hex()

    def uint64(self):
        self.state = (self.state * _PCG_MUL + _PCG_INC) & ((1 << 128) - 1)
        hi, lo = self.state >> 64, self.state & M64
        hi ^= hi >> 32
        hi = (hi * _CHEAP_MUL) & M64
        hi ^= hi >> 48
        return (hi * (lo | 1)) & M64

    def intn(self, n):
        if n <= 0:
            raise ValueError("intn needs n > 0")
        if n & (n - 1) == 0:
            return self.uint64() & (n - 1)
        prod = self.uint64() * n
        hi, lo = prod >> 64, prod & M64
        if lo < n:
            thresh = ((1 << 64) - n) % n
            while lo < thresh:
                prod = self.uint64() * n
                hi, lo = prod >> 64, prod & M64
        return hi

    def float64(self):
        return float((self.uint64() << 11 & M64) >> 11) / float(1 << 53)


# ---------------------------------------------------------------------------------------------
# Data: the studio's export (data.json + bases.u8) and the Go engine's augmentation


_F32 = np.float32
# gift reads 8-bit pixels as v·(1/255) and stores 16-bit temps as int(v·65535 + 0.5): float32 throughout.
_U8_TO_U16 = np.trunc(np.arange(256, dtype=_F32) * _F32(1.0 / 0xFF) * _F32(0xFFFF) + _F32(0.5)).astype(np.int64)
_U16_SCALE = _F32(1.0 / 0xFFFF)


def brightness_lut(bright):
    """gift.Brightness(bright) on an image that went through a 16-bit temp (as gift's filter chain does)."""
    shift = _F32(min(max(bright, _F32(-100)), _F32(100))) / _F32(100)
    px = _U8_TO_U16.astype(_F32) * _U16_SCALE + shift
    out = np.trunc(px * _F32(0xFF) + _F32(0.5))
    return np.clip(out, 0, 255).astype(np.uint8)


class Dataset:
    def __init__(self, folder):
        path = os.path.join(folder, "data.json")
        with open(path) as f:
            meta = json.load(f)
        self.folder = folder
        self.meta = meta
        self.styles = meta["styles"]
        self.labels = meta["labels"]
        self.size = meta["size"]
        n, h, w = meta["count"], meta["height"], meta["width"]
        raw = np.fromfile(os.path.join(folder, meta["bases"]), dtype=np.uint8)
        if raw.size != n * h * w * 3:
            raise ValueError(f"{folder}/{meta['bases']}: {raw.size} bytes, expected {n}×{h}×{w}×3")
        self.bases = raw.reshape(n, h, w, 3)
        if len(self.labels) != n or any(not 0 <= s < len(self.styles) for s in self.labels):
            raise ValueError(f"{path}: labels do not match the {n} images and {len(self.styles)} styles")
        objects = meta.get("objects") or [""] * n
        if len(objects) != n:
            raise ValueError(f"{path}: {len(objects)} objects for {n} images")
        self.counterparts = pair_table(objects, self.labels, len(self.styles))

    def draw(self, rng, batch, lo=0, hi=None, pairs=False):
        """The Go engine's batch: for each image, index, crop, flip, brightness, then the target style.
        Every process draws the whole batch (so the stream stays shared) but builds only [lo, hi).
        With pairs (Config.LambdaPair), also each sample's counterpart in its target style through the
        same view, and the paired loss's weight per sample of [lo, hi) (pair_weights); else None."""
        hi = batch if hi is None else hi
        size, m = self.size, self.size // AUGMENT_MARGIN
        x = np.empty((hi - lo, 3, size, size), dtype=_F32)
        y = np.zeros((hi - lo, 3, size, size), dtype=_F32) if pairs else None
        org, trg, paired = [], [], []
        for i in range(batch):
            e = rng.intn(len(self.bases))
            dx, dy = rng.intn(2 * m + 1), rng.intn(2 * m + 1)
            flip = rng.intn(2) == 1
            bright = _F32(rng.float64() * 6 - 3)
            t = rng.intn(len(self.styles))
            j = self.counterparts[e][t]
            paired.append(j >= 0)
            if not lo <= i < hi:
                continue
            x[i - lo] = self.view(e, dx, dy, flip, bright)
            if pairs and j >= 0:
                y[i - lo] = self.view(j, dx, dy, flip, bright)
            org.append(self.labels[e])
            trg.append(t)
        if not pairs:
            return x, org, trg, None
        return x, org, trg, (y, pair_weights(paired, lo, hi, 3 * size * size))

    def view(self, e, dx, dy, flip, bright):
        """Base image e cropped at (dx, dy), flipped, brightened, as a (3, size, size) tensor in [-1, 1]."""
        size = self.size
        img = self.bases[e, dy : dy + size, dx : dx + size]
        if flip:
            img = img[:, ::-1]
        if bright != 0:
            img = brightness_lut(bright)[img]
        return (img.astype(_F32) / _F32(127.5) - _F32(1)).transpose(2, 0, 1)


def pair_table(objects, labels, styles):
    """The engine's pairTable: [example][style] is the first example of the same object in that style,
    the example itself for its own style, -1 where there is none; all -1 where the object is unknown ("")
    or drawn in one style only."""
    first = {}
    for i, (o, s) in enumerate(zip(objects, labels)):
        if o:
            row = first.setdefault(o, [-1] * styles)
            if row[s] < 0:
                row[s] = i
    first = {o: row for o, row in first.items() if sum(j >= 0 for j in row) >= 2}  # drawn in one style only: none
    out = []
    for i, (o, s) in enumerate(zip(objects, labels)):
        row = [-1] * styles
        if o in first:
            row = list(first[o])
            row[s] = i
        out.append(row)
    return out


def pair_weights(paired, lo, hi, values):
    """The paired loss's weight per sample of [lo, hi), shape (hi − lo, 1, 1, 1): 1/(paired samples of
    the whole batch · values per sample) where paired, 0 elsewhere; times batch/(hi − lo), so the mean
    over processes of their sums is the engine's mean over the batch's paired samples."""
    count = sum(paired)
    w = np.zeros((hi - lo, 1, 1, 1), dtype=_F32)
    if count:
        scale = len(paired) / (hi - lo)
        for i in range(lo, hi):
            if paired[i]:
                w[i - lo] = scale / (count * values)
    return w


# ---------------------------------------------------------------------------------------------
# DiffAugment (engine/nn/ops_diffaug.go): the same draws from the same stream, the same maps


AUG_SETS = ("g", "real", "fake")  # the order the engine draws them: G's fakes, D's real images, D's fakes


def draw_aug(rng, batch, size):
    """AugDraws.Draw: per sample brightness, saturation, contrast, shift x/y, cutout corner x/y."""
    shift, cut = (size + 4) // 8, (size + 1) // 2
    d = {"bright": [], "sat": [], "contrast": [], "tx": [], "ty": [], "cx": [], "cy": [], "cut": cut}
    for _ in range(batch):
        d["bright"].append(_F32(rng.float64() - 0.5))
        d["sat"].append(_F32(rng.float64() * 2))
        d["contrast"].append(_F32(rng.float64() + 0.5))
        d["tx"].append(rng.intn(2 * shift + 1) - shift)
        d["ty"].append(rng.intn(2 * shift + 1) - shift)
        d["cx"].append(rng.intn(size + cut - 1) - (cut - 1))
        d["cy"].append(rng.intn(size + cut - 1) - (cut - 1))
    return d


def diff_augment(x, d, lo):
    """T(x) for the samples [lo, lo+len(x)) of the batch the draws d were made for: brightness, saturation
    around each pixel's channel mean, contrast around the sample's mean, then the shift (vacated pixels 0)
    and the cutout. Autograd gives the transpose the engine's backward op applies."""
    n, size = x.shape[0], x.shape[-1]
    col = lambda k: torch.tensor(d[k][lo : lo + n], dtype=x.dtype, device=x.device).view(-1, 1, 1, 1)
    x = x + col("bright")
    s = col("sat")
    x = s * x + (1 - s) * x.mean(dim=1, keepdim=True)
    c = col("contrast")
    x = c * x + (1 - c) * x.mean(dim=(1, 2, 3), keepdim=True)
    rows, cols = [], []
    mask = np.zeros((n, 1, size, size), dtype=_F32)
    i = np.arange(size)
    for k in range(n):
        tx, ty, cx, cy, cut = d["tx"][lo + k], d["ty"][lo + k], d["cx"][lo + k], d["cy"][lo + k], d["cut"]
        rows.append((i - ty) % size)
        cols.append((i - tx) % size)
        valid = ((i - ty >= 0) & (i - ty < size))[:, None] & ((i - tx >= 0) & (i - tx < size))[None, :]
        inside = ((i >= cy) & (i < cy + cut))[:, None] & ((i >= cx) & (i < cx + cut))[None, :]
        mask[k, 0] = valid & ~inside
    r = torch.from_numpy(np.stack(rows)).to(x.device)
    q = torch.from_numpy(np.stack(cols)).to(x.device)
    b = torch.arange(n, device=x.device).view(-1, 1, 1, 1)
    ch = torch.arange(x.shape[1], device=x.device).view(1, -1, 1, 1)
    shifted = x[b, ch, r.view(n, 1, size, 1), q.view(n, 1, 1, size)]
    return shifted * torch.from_numpy(mask).to(x.device)


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
    """Holds g and d so named_parameters() yields exactly "g.*" and "d.*" checkpoint names.
    cfg needs size, styles, gen_width, disc_width, res_blocks."""

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


def train_step(model, opt_g, opt_d, cfg, x, c_org, c_trg, reduce=None, aug=None, lo=0, pair=None):
    """One step in doc.go's order; returns a dict of activations, losses and grads (pre-update).
    reduce(grads, losses) -> (grads, losses), when given, averages them over the processes before the
    update; a non-finite loss then skips the update (the caller stops the run). aug, when given, holds
    the batch's DiffAugment draws by AUG_SETS name (x is the batch's samples from lo on). pair, when
    given with cfg["lambda_pair"] > 0, is (y, w): the samples' counterparts and the paired loss's
    weights per sample (Dataset.draw)."""
    seen = (lambda t, k: diff_augment(t, aug[k], lo)) if aug else (lambda t, k: t)
    g, d = model.g, model.d
    g_params = list(g.parameters())
    d_params = list(d.parameters())
    lbl_org = c_org.argmax(1)
    lbl_trg = c_trg.argmax(1)

    # G half: fakes computed once and reused (detached) by the D half.
    fake = g(x, c_trg)
    rec = g(fake, c_org)
    src_fake, cls_fake = d(seen(fake, "g"))
    g_adv = ((src_fake - 1) ** 2).mean()
    g_cls = F.cross_entropy(cls_fake, lbl_trg)
    g_rec = (x - rec).abs().mean()
    loss_g = g_adv + cfg["lambda_cls"] * g_cls + cfg["lambda_rec"] * g_rec
    if cfg.get("lambda_content", 0) > 0:  # the content loss, mean |fake − x| (Config.LambdaContent)
        k = int(cfg.get("content_pool", 0))  # on k×k block means when k > 1 (Config.ContentPool)
        pf, px = (F.avg_pool2d(fake, k), F.avg_pool2d(x, k)) if k > 1 else (fake, x)
        loss_g = loss_g + cfg["lambda_content"] * (pf - px).abs().mean()
    if cfg.get("lambda_pair", 0) > 0 and pair is not None:  # the paired loss (Config.LambdaPair)
        y, w = pair
        loss_g = loss_g + cfg["lambda_pair"] * (w * (fake - y).abs()).sum()
    # autograd.grad so the G loss flows through D but only G params receive gradients.
    g_grads = torch.autograd.grad(loss_g, g_params)

    # D half: D still at its initial weights; fresh gradients.
    src_real, cls_real = d(seen(x, "real"))
    src_fake_d, _ = d(seen(fake.detach(), "fake"))
    d_real = ((src_real - 1) ** 2).mean()
    d_fake = (src_fake_d**2).mean()
    d_cls = F.cross_entropy(cls_real, lbl_org)
    loss_d = d_real + d_fake + cfg["lambda_cls"] * d_cls
    d_grads = torch.autograd.grad(loss_d, d_params)

    losses = torch.stack([g_adv, g_cls, g_rec, loss_g, d_real, d_fake, d_cls, loss_d]).detach()
    grads = list(g_grads) + list(d_grads)
    if reduce is not None:
        grads, losses = reduce(grads, losses)
    finite = bool(torch.isfinite(losses).all())
    if finite:
        # Adam updates come after both halves so neither sees the other's new weights.
        for p, gr in zip(g_params + d_params, grads):
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
        "losses": dict(zip(LOSS_NAMES, losses.unbind())),
        "g_grads": grads[: len(g_params)],
        "d_grads": grads[len(g_params) :],
        "finite": finite,
    }


def one_hot(labels, styles, device):
    return F.one_hot(torch.tensor(labels, dtype=torch.int64, device=device), styles).float()


# ---------------------------------------------------------------------------------------------
# Checkpoints (engine/gan/checkpoint.go's format)


def model_cfg(config, styles):
    return {
        "size": config["size"],
        "styles": len(styles),
        "gen_width": config["gen_width"],
        "disc_width": config["disc_width"],
        "res_blocks": config["res_blocks"],
        "lambda_cls": config["lambda_cls"],
        "lambda_rec": config["lambda_rec"],
        "lambda_content": config.get("lambda_content", 0.0),
        "content_pool": config.get("content_pool", 0),
        "lambda_pair": config.get("lambda_pair", 0.0),
        "lr": config["lr"],
        "beta1": config["beta1"],
        "beta2": config["beta2"],
    }


def file_sha256(path):
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
    return size, h.hexdigest()


def read_sidecar(path):
    """A verified checkpoint description, or None when it is incomplete or damaged."""
    try:
        with open(path) as f:
            side = json.load(f)
        if side.get("format") != CHECKPOINT_FORMAT or "/" in side["weights"] or "\\" in side["weights"]:
            return None
        weights = os.path.join(os.path.dirname(path), side["weights"])
        if file_sha256(weights) != (side["bytes"], side["sha256"]):
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    side["path"] = path
    side["weights_path"] = weights
    return side


def list_checkpoints(folder):
    try:
        names = sorted(n for n in os.listdir(folder) if n.startswith("ckpt-") and n.endswith(".json"))
    except FileNotFoundError:
        return []
    good = [read_sidecar(os.path.join(folder, n)) for n in names]
    return [s for s in good if s is not None]


def best_checkpoint(good):
    """checkpoint.go's BestCheckpoint: of the checkpoints the Go side validated (it writes "val" into the
    sidecar after this trainer reports each checkpoint), the highest validation score; when none was,
    the lowest training-loss score. The latest wins ties."""
    validated = [s for s in good if s.get("val")]
    if validated:
        best = validated[0]
        for s in validated[1:]:
            if s["val"]["score"] >= best["val"]["score"]:
                best = s
        return best
    best = good[0]
    for s in good[1:]:
        if s["score"] <= best["score"]:
            best = s
    return best


def prune_checkpoints(folder, keep):
    """checkpoint.go's pruneCheckpoints: keep the last `keep` and the best (best_checkpoint)."""
    good = list_checkpoints(folder)
    if not good:
        return
    best = best_checkpoint(good)
    for i, s in enumerate(good):
        if i >= len(good) - keep or s["step"] == best["step"]:
            continue
        for p in (s["path"], s["weights_path"]):
            try:
                os.remove(p)
            except FileNotFoundError:
                pass


def save_checkpoint(folder, step, config, styles, tensors, rng, adam_t, losses, score, score_n):
    base = f"ckpt-{step:07d}"
    meta = {
        "format": CHECKPOINT_FORMAT,
        "config": json.dumps(config, separators=(",", ":")),
        "styles": json.dumps(styles, separators=(",", ":")),
        "step": str(step),
    }
    weights = os.path.join(folder, base + ".safetensors")
    write_atomic(weights, lambda f: _write_safetensors(f, tensors, meta))
    size, digest = file_sha256(weights)
    side = {
        "format": CHECKPOINT_FORMAT,
        "step": step,
        "config": config,
        "styles": styles,
        "weights": base + ".safetensors",
        "bytes": size,
        "sha256": digest,
        "rng": rng.to_hex(),
        "adam_steps": adam_t,
        "losses": losses,
        "score": score,
        "score_n": score_n,
        "created": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }
    path = os.path.join(folder, base + ".json")
    write_atomic(path, lambda f: f.write(json.dumps(side, indent=2).encode("utf-8")))
    return weights


def load_state(side, model, opt_g, opt_d, device):
    tensors, _ = read_safetensors(side["weights_path"])
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name not in tensors:
                raise ValueError(f"{side['weights_path']}: missing tensor {name!r}")
            if tuple(tensors[name].shape) != tuple(p.shape):
                raise ValueError(f"{side['weights_path']}: {name!r} has shape {tensors[name].shape}, want {tuple(p.shape)}")
            p.copy_(torch.from_numpy(tensors[name]))
    t = side.get("adam_steps", 0)
    if t == 0:
        return
    for opt, prefix in ((opt_g, "g."), (opt_d, "d.")):
        for name, p in model.named_parameters():
            if not name.startswith(prefix):
                continue
            m, v = tensors.get("adam.m." + name), tensors.get("adam.v." + name)
            if m is None or v is None:
                raise ValueError(f"{side['weights_path']}: optimiser moments of {name} are missing")
            opt.state[p] = {
                "step": torch.tensor(float(t)),
                "exp_avg": torch.from_numpy(m).to(device),
                "exp_avg_sq": torch.from_numpy(v).to(device),
            }


def state_tensors(model, opt_g, opt_d):
    out = {}
    for name, p in model.named_parameters():
        out[name] = p
        opt = opt_g if name.startswith("g.") else opt_d
        st = opt.state.get(p)
        out["adam.m." + name] = st["exp_avg"] if st else torch.zeros_like(p)
        out["adam.v." + name] = st["exp_avg_sq"] if st else torch.zeros_like(p)
    return out


# ---------------------------------------------------------------------------------------------
# Training loop


class Emitter:
    """Progress as `stylestudio train --json` lines: stdout and OUT/progress.jsonl (rank 0 only)."""

    def __init__(self, run, out, enabled):
        self.run, self.enabled = run, enabled
        self.log = open(os.path.join(out, "progress.jsonl"), "a") if enabled else None

    def __call__(self, event, **kw):
        if not self.enabled:
            return
        line = json.dumps({"event": event, "run": self.run, **kw})
        print(line, flush=True)
        self.log.write(line + "\n")
        self.log.flush()


def setup_distributed(device):
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if world > 1:
        import torch.distributed as dist

        dist.init_process_group("nccl" if device == "cuda" else "gloo")
    return world, rank, local


def cmd_train(a):
    if a.device == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            "no CUDA device: torch.cuda.is_available() is false (PyTorch %s%s); train with --device cpu, "
            "or install an NVIDIA driver and a CUDA build of PyTorch" % (torch.__version__, "" if torch.version.cuda else ", built without CUDA")
        )
    world, rank, local = setup_distributed(a.device)
    if a.device == "cuda":
        torch.cuda.set_device(local)
        device = torch.device("cuda", local)
        torch.backends.cudnn.benchmark = True
    else:
        device = torch.device("cpu")
        threads = a.threads or max(1, (os.cpu_count() or 1) // int(os.environ.get("LOCAL_WORLD_SIZE", "1")))
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(True)
    data = Dataset(a.data)
    styles = data.styles
    os.makedirs(a.out, exist_ok=True)
    emit = Emitter(a.run or data.meta.get("run", ""), a.out, rank == 0)

    # Where to start: the newest complete checkpoint in OUT, else the studio's step-0 checkpoint.
    good = list_checkpoints(a.out)
    side = good[-1] if good else None
    if side is None:
        init = list_checkpoints(os.path.join(a.data, "init"))
        if not init:
            raise ValueError(f"no checkpoint in {a.out} and no initial checkpoint in {a.data}/init")
        side = init[-1]
    if side["styles"] != styles:
        raise ValueError(f"{side['path']} was trained on styles {side['styles']}, the data has {styles}")
    config = dict(side["config"])
    if config["size"] != data.size:
        raise ValueError(f"{side['path']} is a {config['size']} px model, the data is {data.size} px")
    steps = max(a.steps or config["steps"], side["step"])
    config["steps"] = steps
    batch = config["batch"]
    if batch % world:
        raise ValueError(f"batch {batch} does not split over {world} processes; use a worker count that divides it")
    per = batch // world
    lo, hi = rank * per, (rank + 1) * per

    cfg = model_cfg(config, styles)
    model = StarGAN(cfg).to(device)
    opt_g, opt_d = make_optimizers(model, cfg)
    load_state(side, model, opt_g, opt_d, device)
    rng = GoPCG.from_hex(side["rng"])
    start, adam_t = side["step"], side.get("adam_steps", 0)
    score, score_n = side.get("score", 0.0), side.get("score_n", 0)
    losses = side.get("losses") or {}
    last_saved = side["step"] if good else -1  # the step-0 checkpoint in DATA/init is not in OUT

    stop = {"flag": False}

    def on_signal(signum, frame):
        stop["flag"] = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    stop_file = os.path.join(a.out, "STOP")

    if world > 1:
        import torch.distributed as dist

        def reduce(grads, losses_t):
            flat = torch.cat([g.reshape(-1) for g in grads] + [losses_t])
            dist.all_reduce(flat)
            flat /= world
            out, i = [], 0
            for g in grads:
                out.append(flat[i : i + g.numel()].view_as(g))
                i += g.numel()
            return out, flat[i:]

        def agree_stop(local_flag):
            t = torch.tensor([1.0 if local_flag else 0.0], device=device)
            dist.all_reduce(t)
            return t.item() > 0

    else:
        reduce = None

        def agree_stop(local_flag):
            return local_flag

    def save(step):
        weights = save_checkpoint(a.out, step, config, styles, state_tensors(model, opt_g, opt_d), rng, adam_t, losses, score, score_n)
        emit("checkpoint", step=step, steps=steps, checkpoint=os.path.abspath(weights))
        if not a.no_prune:
            prune_checkpoints(a.out, config["keep_last"])

    begin = time.perf_counter()
    step = start
    status = "finished"
    while step < steps:
        local_stop = stop["flag"] or (rank == 0 and os.path.exists(stop_file))
        if agree_stop(local_stop):
            status = "paused"
            break
        x, org, trg, pair = data.draw(rng, batch, lo, hi, pairs=cfg["lambda_pair"] > 0)
        aug = {k: draw_aug(rng, batch, data.size) for k in AUG_SETS} if config.get("diff_augment") else None
        x = torch.from_numpy(x).to(device)
        if pair is not None:
            pair = tuple(torch.from_numpy(v).to(device) for v in pair)
        r = train_step(model, opt_g, opt_d, cfg, x, one_hot(org, len(styles), device), one_hot(trg, len(styles), device), reduce, aug, lo, pair)
        vals = [float(v) for v in r["losses"].values()]
        if not r["finite"]:
            msg = "no checkpoint was written yet" if last_saved <= 0 else f"the last good checkpoint (step {last_saved}) is kept"
            raise RuntimeError(f"a loss became NaN or infinite at step {step + 1}; {msg}; lower the learning rate and start again")
        losses = dict(zip(LOSS_NAMES, vals))
        adam_t += 1
        step += 1
        s = losses["g_cls"] + config["lambda_rec"] * losses["g_rec"]
        score = s if score_n == 0 or math.isnan(score) else 0.98 * score + 0.02 * s
        score_n += 1
        if step % config["log_every"] == 0 or step == steps or step == start + 1:
            el = time.perf_counter() - begin
            done = step - start
            emit("step", step=step, steps=steps, losses=losses, images_per_s=done * batch / max(el, 1e-9), eta_s=el / done * (steps - step))
        if rank == 0 and (step % config["checkpoint_every"] == 0 or step == steps):
            save(step)
            last_saved = step
    if status == "paused" and rank == 0 and step > last_saved:
        save(step)
    if rank == 0 and os.path.exists(stop_file):
        os.remove(stop_file)
    el = time.perf_counter() - begin
    last = list_checkpoints(a.out)
    emit("done", step=step, steps=steps, losses=losses, images_per_s=(step - start) * batch / max(el, 1e-9),
         checkpoint=last[-1]["weights_path"] if last else "", seconds=el, status=status, world_size=world, device=a.device)
    if world > 1:
        import torch.distributed as dist

        dist.barrier()
        dist.destroy_process_group()


def cmd_forward(a):
    torch.set_num_threads(a.threads)
    side_path = a.ckpt[: -len(".safetensors")] + ".json"
    side = read_sidecar(side_path)
    if side is None:
        raise ValueError(f"{side_path}: not a complete checkpoint")
    model = StarGAN(model_cfg(side["config"], side["styles"]))
    load_state(dict(side, adam_steps=0), model, None, None, "cpu")
    inp, _ = read_safetensors(a.inp)
    with torch.no_grad():
        y = model.g(torch.from_numpy(inp["x"]), torch.from_numpy(inp["c"]))
    write_safetensors(a.out, {"y": y})


def cmd_batches(a):
    data = Dataset(a.data)
    side = list_checkpoints(os.path.join(a.data, "init"))[-1]
    rng = GoPCG.from_hex(side["rng"])
    out = {}
    pairs = side["config"].get("lambda_pair", 0) > 0
    for k in range(a.steps):
        x, org, trg, pair = data.draw(rng, side["config"]["batch"], pairs=pairs)
        out[f"x{k}"] = x
        out[f"org{k}"] = np.array(org, dtype=_F32)
        out[f"trg{k}"] = np.array(trg, dtype=_F32)
        if pair is not None:
            out[f"y{k}"], out[f"pw{k}"] = pair[0], pair[1].reshape(-1)
    write_safetensors(a.out, out)


def cmd_probe(a):
    info = {"torch": torch.__version__, "cuda": torch.cuda.is_available(), "cuda_version": torch.version.cuda or "",
            "gpus": [], "distributed": torch.distributed.is_available()}
    if info["cuda"]:
        info["gpus"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    print(json.dumps(info))


def main(argv=None):
    ap = argparse.ArgumentParser(description="Style Studio's PyTorch GAN trainer (see engine/gan/doc.go).")
    sub = ap.add_subparsers(dest="mode", required=True)

    p = sub.add_parser("train", help="train or continue a run")
    p.add_argument("--data", required=True, help="the studio's exported data folder (data.json, bases.u8, init/)")
    p.add_argument("--out", required=True, help="checkpoint folder (continued from its newest checkpoint)")
    p.add_argument("--steps", type=int, default=0, help="total steps (default: the checkpoint's config)")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--run", default="", help="run name for the progress lines")
    p.add_argument("--threads", type=int, default=0, help="CPU threads per process (default: cores / processes)")
    p.add_argument("--no-prune", action="store_true",
                   help="leave pruning old checkpoints to the caller (the studio prunes after validating each one)")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("forward", help="G(x, c) with a checkpoint's weights")
    p.add_argument("--ckpt", required=True)
    p.add_argument("--in", dest="inp", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--threads", type=int, default=2)
    p.set_defaults(func=cmd_forward)

    p = sub.add_parser("batches", help="dump the first batches the trainer would draw")
    p.add_argument("--data", required=True)
    p.add_argument("--steps", type=int, default=2)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_batches)

    p = sub.add_parser("probe", help="print torch and CUDA facts as JSON")
    p.set_defaults(func=cmd_probe)

    a = ap.parse_args(argv)
    try:
        a.func(a)
    except (ValueError, RuntimeError, OSError) as e:
        msg = str(e)
        if "out of memory" in msg.lower():
            msg = f"the GPU ran out of memory ({msg.splitlines()[0]}); lower the batch size or the image size, or use fewer processes per GPU"
        if int(os.environ.get("RANK", "0")) == 0:
            print(json.dumps({"event": "error", "message": msg}), flush=True)
        print(f"train.py {a.mode}: {msg}", file=sys.stderr)
        return EXIT_FAILED
    return 0


if __name__ == "__main__":
    sys.exit(main())
