// Images: prompt, kind, size, seed → a grid of variants; each design's text can be edited and
// the same design re-rendered from its spec.
import { h, field, errorBox, showError, busy, select } from "../ui.js";
import { t } from "../i18n.js";
import { post } from "../api.js";

const KINDS = ["poster", "logo", "banner", "social_post", "product_card", "storefront_header"];
const SIZES = ["1:1", "3:4", "9:16", "16:9", "logo", "1024x1024", "768x1024", "1280x720"];
const TEXT_FIELDS = ["headline", "subline", "body", "call_to_action", "brand"];

export function render(main, params) {
  const prompt = h("textarea", { name: "prompt", rows: 3, required: true, maxlength: 4000 }, params.prompt || "");
  const kind = select(KINDS.map((k) => [k, t(`images.kind.${k}`)]), params.kind || "poster", { name: "kind" });
  const size = select(SIZES, params.size || "3:4", { name: "size" });
  const n = h("input", { type: "number", name: "n", min: 1, max: 4, value: params.n || 2 });
  const seed = h("input", { type: "number", name: "seed", min: 0, value: params.seed ?? "" });
  const format = select(["png", "webp", "jpeg", "svg"], params.format || "png", { name: "format" });
  const go = h("button", { type: "submit", class: "primary" }, t("common.generate"));
  const err = errorBox();
  const grid = h("div", { class: "variants", id: "image-grid", "aria-live": "polite" });
  const form = h("form", { class: "panel" }, field(t("images.prompt"), prompt, t("images.prompt_hint")),
    h("div", { class: "cols" }, field(t("images.kind"), kind), field(t("images.size"), size)),
    h("div", { class: "cols" }, field(t("images.variants"), n), field(t("common.seed"), seed, t("common.seed_hint"))),
    field(t("images.format"), format), err, h("div", { class: "row" }, go));
  main.append(h("h1", {}, t("nav.images")), form, grid);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    busy(go, err, form, async () => {
      go.textContent = t("common.working");
      try {
        const body = { prompt: prompt.value, kind: kind.value, size: size.value, n: Number(n.value) || 1, format: format.value,
          seed: seed.value === "" ? null : Number(seed.value) };
        const res = await post("/v1/images/generations", body);
        grid.replaceChildren(...res.data.map((item) => variant(item, body)));
      } finally { go.textContent = t("common.generate"); }
    });
  });
  if (params.spec) grid.append(variant({ spec: params.spec, seed: params.seed, url: params.url }, { prompt: params.prompt || "", kind: params.kind, size: params.size || "3:4" }));
  (params.prompt ? go : prompt).focus();
}

function variant(item, body) {
  const img = h("img", { src: item.url || "", alt: (item.spec && item.spec.headline) || body.prompt, "data-seed": item.seed });
  const link = h("a", { href: item.url || "#", download: "" }, `⬇ ${t("common.download")}`);
  const edit = h("button", { type: "button" }, t("images.edit_text"));
  const box = h("div", { hidden: true });
  const fig = h("figure", { class: "variant" }, img, h("figcaption", { class: "row" }, h("span", { class: "hint" }, `${t("common.seed")} ${item.seed ?? ""}`), link, edit), box);
  if (!item.url) img.hidden = true;
  if (!item.spec) { edit.hidden = true; return fig; }
  edit.addEventListener("click", () => {
    box.hidden = !box.hidden;
    if (box.hidden || box.childElementCount) return;
    const inputs = TEXT_FIELDS.map((k) => h("input", { type: "text", name: k, value: item.spec[k] ?? "" }));
    const again = h("button", { type: "submit", class: "primary" }, t("images.rerender"));
    const err = errorBox();
    const f = h("form", {}, ...TEXT_FIELDS.map((k, i) => field(t(`images.field.${k}`), inputs[i])), err, h("div", { class: "row" }, again));
    f.addEventListener("submit", (ev) => {
      ev.preventDefault();
      busy(again, err, f, async () => {
        const spec = { ...item.spec };
        TEXT_FIELDS.forEach((k, i) => { spec[k] = inputs[i].value.trim() || null; });
        const res = await post("/v1/images/generations", { prompt: body.prompt || spec.headline || "design", kind: spec.kind || body.kind,
          size: body.size, seed: item.seed, spec });
        Object.assign(item, res.data[0]);
        img.src = item.url; img.hidden = false; link.href = item.url;
        fig.dataset.rerendered = "1";
      });
    });
    box.append(f);
  });
  return fig;
}
