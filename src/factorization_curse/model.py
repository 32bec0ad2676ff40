"""One transformer family in the paper's three architectures (paper Appendix G).

- ``decoder``: GPT-style causal decoder (AR objectives).
- ``encoder``: BERT-style bidirectional encoder reading ``<mask>`` at hidden positions (MLM).
- ``encoder-decoder``: XLNet-like two streams. The encoder (content stream) lets token i attend to
  tokens j with rank[j] <= rank[i]; the decoder (query stream) starts from one shared learned
  embedding at every position and, in each layer, attends with its own queries to the keys and
  values of the same encoder layer for the tokens with rank[j] < rank[i]. Any objective runs on it.

All blocks are pre-LayerNorm GPT blocks with rotary position embeddings (RoPE), and attention is
``torch.nn.functional.scaled_dot_product_attention``. The BOS token (always position 0, context for
every prediction) is by default an ordinary token at position 0 (``bos_position: ordinary``), as in
most RoPE models; the paper does not say. ``bos_position: sink`` instead zeroes its key, so that
attending to it carries no position: a one-seed ablation on the tiny retrieval task changed the
encoder-decoder's MLM-U from 68/66 (ordinary) to 100/94 (sink) validation exact match and left the
decoder and encoder unchanged (``benchmarks/bos_ablation.py``). Every architecture returns logits
aligned with the tokens: ``logits[:, i]`` is the prediction of ``tokens[:, i]`` from its context.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from .runtime import load_state
from .settings import ModelConfig
from .vocabulary import MASK_ID, PAD_ID

def attention(q, k, v, mask=None, is_causal=False, dropout_p=0.0):
    """Scaled dot-product attention over [..., H, T, Dh] (leading dimensions: the batch, and for a
    pack of models the member: flattened into one batch, which gives each member's rows bit for bit
    what it gets alone). Under bf16 autocast on a CPU it runs in fp32: there the bf16 attention
    kernel's backward is ~6x slower than fp32 at this model's sizes (measured, Zen 4), while the bf16
    matrix products around it are 2-3x faster than fp32."""
    if q.dim() > 4:
        lead = q.shape[:-3]
        if mask is not None:
            mask = mask.expand(*lead, *mask.shape[-3:]).flatten(0, len(lead) - 1)
        y = attention(q.flatten(0, len(lead) - 1), k.flatten(0, len(lead) - 1), v.flatten(0, len(lead) - 1),
                      mask, is_causal, dropout_p)
        return y.unflatten(0, lead)
    if q.device.type == "cpu" and q.dtype == torch.bfloat16:
        with torch.autocast("cpu", enabled=False):  # autocast would cast the inputs back to bf16
            y = F.scaled_dot_product_attention(q.float(), k.float(), v.float(), attn_mask=mask,
                                               is_causal=is_causal, dropout_p=dropout_p)
        return y.to(torch.bfloat16)
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=is_causal, dropout_p=dropout_p)


class Rotary(nn.Module):
    """Rotary position embedding, applied to queries and keys of shape [..., H, T, Dh]."""

    def __init__(self, head_dim: int, base: float, bos_sink: bool = True):
        super().__init__()
        self.bos_sink = bos_sink
        self.register_buffer("inv_freq", base ** (-torch.arange(0, head_dim, 2).float() / head_dim), persistent=False)

    def keys(self, k: torch.Tensor, offset: int = 0) -> torch.Tensor:
        """Rotated keys; with ``bos_sink`` the BOS key (position 0) is set to zero: a position-free sink."""
        k = self(k, offset)
        if offset or not self.bos_sink:
            return k
        return torch.cat([torch.zeros_like(k[..., :1, :]), k[..., 1:, :]], dim=-2)

    def forward(self, x: torch.Tensor, offset: int = 0) -> torch.Tensor:
        """Rotate ``x`` [..., H, T, Dh] whose first row sits at position ``offset``."""
        T = x.shape[-2]
        angles = torch.arange(offset, offset + T, device=x.device, dtype=torch.float32)[:, None] * self.inv_freq[None, :]
        cos, sin = angles.cos().to(x.dtype), angles.sin().to(x.dtype)
        x1, x2 = x[..., 0::2], x[..., 1::2]
        return torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1).flatten(-2)


class MLP(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        width = cfg.d_ff or 4 * cfg.d_model
        self.up = nn.Linear(cfg.d_model, width)
        self.down = nn.Linear(width, cfg.d_model)
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, x):
        return self.dropout(self.down(F.gelu(self.up(x))))


def split_heads(x: torch.Tensor, parts: int, n_head: int) -> torch.Tensor:
    """[..., T, parts * C] -> [parts, ..., H, T, C / H]: projections split into heads."""
    return x.unflatten(-1, (parts, n_head, -1)).movedim(-3, 0).transpose(-2, -3)


def merge_heads(y: torch.Tensor) -> torch.Tensor:
    """[..., H, T, Dh] -> [..., T, H * Dh]."""
    return y.transpose(-2, -3).flatten(-2)


class Block(nn.Module):
    """Self-attention block; also returns its (rotated) keys and values for a query stream.

    Blocks, like the whole model, take any leading dimensions ([B, T, C]; [K, B, T, C] for a pack
    of K models, whose layers then are :mod:`packing`'s)."""

    def __init__(self, cfg: ModelConfig, rotary: Rotary):
        super().__init__()
        self.n_head, self.rotary, self.dropout = cfg.n_head, rotary, cfg.dropout
        self.ln1, self.ln2 = nn.LayerNorm(cfg.d_model), nn.LayerNorm(cfg.d_model)
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model)
        self.out = nn.Linear(cfg.d_model, cfg.d_model)
        self.mlp = MLP(cfg)

    def forward(self, x, mask=None, is_causal=False, cache: "KeyValueCache | None" = None):
        """With a ``cache`` (causal decoding), ``x`` holds the tokens after the cached ones: their keys
        and values are appended to it, and they attend to every cached token and causally among themselves."""
        T = x.shape[-2]
        q, k, v = split_heads(self.qkv(self.ln1(x)), 3, self.n_head)
        offset = cache.length if cache is not None else 0
        q, k = self.rotary(q, offset), self.rotary.keys(k, offset)
        if cache is not None:
            k, v = cache.append(self, k, v)
            if offset:  # new rows attend to all cached positions; causal among themselves
                is_causal = False
                mask = torch.ones(T, offset + T, dtype=torch.bool, device=x.device).tril(offset) if T > 1 else None
        y = attention(q, k, v, mask, is_causal, self.dropout if self.training else 0.0)
        x = x + self.out(merge_heads(y))
        return x + self.mlp(self.ln2(x)), k, v


class KeyValueCache:
    """Keys and values of the tokens a causal decoder has read so far, per block: each generated
    token then costs one position's forward pass instead of the whole sequence's."""

    def __init__(self):
        self.length = 0
        self._store: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}

    def append(self, block: nn.Module, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Keys and values of every token so far in ``block``, these new ones included."""
        if id(block) in self._store:
            past_k, past_v = self._store[id(block)]
            k, v = torch.cat([past_k, k], dim=-2), torch.cat([past_v, v], dim=-2)
        self._store[id(block)] = (k, v)
        return k, v

    def advance(self, num_tokens: int) -> None:
        self.length += num_tokens


class KeyValueBlock(nn.Module):
    """The encoder's last layer in the encoder-decoder: only its keys and values are ever read
    (by the last query block), so it has no attention output or MLP."""

    def __init__(self, cfg: ModelConfig, rotary: Rotary):
        super().__init__()
        self.n_head, self.rotary = cfg.n_head, rotary
        self.ln1 = nn.LayerNorm(cfg.d_model)
        self.kv = nn.Linear(cfg.d_model, 2 * cfg.d_model)

    def forward(self, x, mask=None):
        k, v = split_heads(self.kv(self.ln1(x)), 2, self.n_head)
        return None, self.rotary.keys(k), v


class QueryBlock(nn.Module):
    """Query-stream block: its own queries attend to a content block's keys and values."""

    def __init__(self, cfg: ModelConfig, rotary: Rotary):
        super().__init__()
        self.n_head, self.rotary, self.dropout = cfg.n_head, rotary, cfg.dropout
        self.ln1, self.ln2 = nn.LayerNorm(cfg.d_model), nn.LayerNorm(cfg.d_model)
        self.q = nn.Linear(cfg.d_model, cfg.d_model)
        self.out = nn.Linear(cfg.d_model, cfg.d_model)
        self.mlp = MLP(cfg)

    def forward(self, g, k, v, mask):
        q = self.rotary(split_heads(self.q(self.ln1(g)), 1, self.n_head)[0])
        y = attention(q, k, v, mask, dropout_p=self.dropout if self.training else 0.0)
        g = g + self.out(merge_heads(y))
        return g + self.mlp(self.ln2(g))


class Transformer(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        rotary = Rotary(cfg.d_model // cfg.n_head, cfg.rope_base, bos_sink=cfg.bos_position == "sink")
        self.embed = nn.Embedding(cfg.vocab_size, cfg.d_model)
        if cfg.architecture == "encoder-decoder":
            blocks = [Block(cfg, rotary) for _ in range(cfg.n_layer - 1)] + [KeyValueBlock(cfg, rotary)]
        else:
            blocks = [Block(cfg, rotary) for _ in range(cfg.n_layer)]
        self.blocks = nn.ModuleList(blocks)
        if cfg.architecture == "encoder-decoder":
            self.query_embedding = nn.Parameter(0.02 * torch.randn(cfg.d_model))
            self.query_blocks = nn.ModuleList(QueryBlock(cfg, rotary) for _ in range(cfg.n_layer))
        self.ln_f = nn.LayerNorm(cfg.d_model)
        self.head = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)
        self.head.weight = self.embed.weight  # tied input and output embeddings
        self.apply(self._init)

    @staticmethod
    def _init(module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def hidden_states(self, tokens: torch.Tensor, rank: torch.Tensor) -> torch.Tensor:
        """[B, T, d]: the state at position i that predicts ``tokens[:, i]`` under ``rank``."""
        states = {"decoder": self._decoder_states, "encoder": self._encoder_states,
                  "encoder-decoder": self._encoder_decoder_states}
        return states[self.cfg.architecture](tokens, rank)

    def _decoder_states(self, tokens, rank):
        """Causal self-attention (rank is position for the objectives it runs)."""
        h = self.embed(tokens)
        for block in self.blocks:
            h, _, _ = block(h, is_causal=True)
        # position i-1 predicts token i: shift so that row i is the prediction of token i
        return F.pad(h[..., :-1, :], (0, 0, 1, 0))

    def _encoder_states(self, tokens, rank):
        """BERT-style: hidden tokens (rank > 0) read as <mask>, full attention over non-padding."""
        h = self.embed(torch.where(rank > 0, torch.full_like(tokens, MASK_ID), tokens))
        mask = (tokens != PAD_ID)[..., None, None, :]
        for block in self.blocks:
            h, _, _ = block(h, mask=mask)
        return h

    def _encoder_decoder_states(self, tokens, rank):
        """Content stream sees rank <= own rank; query stream sees rank < own rank (and BOS)."""
        content_mask = (rank[..., None, :] <= rank[..., :, None]).unsqueeze(-3)
        query_mask = rank[..., None, :] < rank[..., :, None]
        query_mask[..., 0] = True  # BOS is context for every query (and keeps BOS's own row non-empty)
        query_mask = query_mask.unsqueeze(-3)
        h = self.embed(tokens)
        g = self.query_stream_start(h)
        for block, query_block in zip(self.blocks, self.query_blocks):
            h, k, v = block(h, mask=content_mask)
            g = query_block(g, k, v, mask=query_mask)
        return g

    def query_stream_start(self, h: torch.Tensor) -> torch.Tensor:
        """The query stream's input: one learned embedding at every position of ``h``."""
        return self.query_embedding.expand_as(h)

    def next_token_logits(self, tokens: torch.Tensor, cache: KeyValueCache) -> torch.Tensor:
        """Decoder only: logits [B, V] of the token after ``tokens`` [B, T] (the tokens that follow
        those already in ``cache``), which is updated to include them."""
        if self.cfg.architecture != "decoder":
            raise ValueError(f"a key-value cache needs the causal decoder, not the {self.cfg.architecture}")
        h = self.embed(tokens)
        for block in self.blocks:
            h, _, _ = block(h, is_causal=True, cache=cache)
        cache.advance(tokens.shape[1])
        return self.head(self.ln_f(h[:, -1]))

    def forward(self, tokens: torch.Tensor, rank: torch.Tensor, select: torch.Tensor | None = None) -> torch.Tensor:
        """Logits [B, T, V]; with a bool ``select`` [B, T], only the selected rows [N, V]."""
        h = self.hidden_states(tokens, rank)
        if select is not None:
            h = h[select]
        return self.head(self.ln_f(h))


def load_model(path: str | Path, device="cpu") -> tuple[Transformer, dict]:
    """A trained model and what was saved with it (identity, dataset fingerprint, step). Raises
    :class:`UnreadableFileError` naming the file when it is not one."""
    saved = load_state(path, device, required=("model", "model_config"))
    model = Transformer(ModelConfig(**saved["model_config"])).to(device)
    model.load_state_dict(saved["model"])
    model.eval()
    return model, saved
