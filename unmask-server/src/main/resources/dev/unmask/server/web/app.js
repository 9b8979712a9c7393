// The unmask serve page: upload with XHR (for upload progress), poll the check, draw the report.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  let token = sessionStorage.getItem("unmask-token") || "";

  function headers() {
    return token ? { Authorization: "Bearer " + token } : {};
  }

  function say(text) {
    $("status").textContent = text;
  }

  function needToken() {
    $("token-row").hidden = false;
    say("This server needs an access token. Enter it above, then choose the file again.");
    $("token").focus();
  }

  async function api(path, options) {
    const r = await fetch(path, Object.assign({ headers: headers() }, options || {}));
    if (r.status === 401) {
      needToken();
      throw new Error("unauthorised");
    }
    return r;
  }

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => e.setAttribute(k, v));
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function svg(tag, attrs) {
    const e = document.createElementNS(SVG, tag);
    Object.entries(attrs).forEach(([k, v]) => e.setAttribute(k, String(v)));
    return e;
  }

  async function loadDetector() {
    try {
      const r = await api("/v1/detector");
      const d = await r.json();
      const facts = $("detector");
      facts.textContent = "";
      const rows = [["Backbone", d.backbone], ["Approach", d.approach + (d.features ? " (" + d.features + " features)" : "")],
        ["Threshold", Number(d.threshold).toFixed(3)],
        ["Validation EER", d.validation_eer == null ? "not recorded" : (100 * Number(d.validation_eer)).toFixed(1) + " %"], ["Detector file", d.file],
        ["Backbone SHA-256", d.backbone_sha256 || "not recorded"], ["Face crops", d.crop_contract_declared ? "as declared by the detector" : "assumed"]];
      if (d.source) {
        // An imported detector: where it came from, the paper it is from and its weights' licence.
        rows.push(["Source", d.source.repo ? d.source.repo + " @ " + d.source.commit : "a local folder"], ["Paper", d.source.paper],
          ["Weights' licence", d.source.license]);
      }
      rows.forEach(([k, v]) => { facts.append(el("dt", {}, k), el("dd", {}, v == null ? "unknown" : String(v))); });
    } catch (e) {
      if (e.message !== "unauthorised") $("detector").textContent = "Could not load the detector's description.";
    }
  }

  function upload(file) {
    $("result").hidden = true;
    $("upload-progress").value = 0;
    $("elapsed").textContent = "";
    say("Uploading " + file.name + "…");
    const form = new FormData();
    form.append("file", file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/v1/checks");
    if (token) xhr.setRequestHeader("Authorization", "Bearer " + token);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) {
        const pct = Math.round(100 * e.loaded / e.total);
        $("upload-progress").value = pct;
        $("upload-progress").textContent = pct + "%";
      }
    };
    xhr.onerror = () => say("The upload failed: the server could not be reached.");
    xhr.onload = () => {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch (e) { /* an error page without JSON */ }
      if (xhr.status === 401) return needToken();
      if (xhr.status === 429) return say("The server is busy. Try again in " + (xhr.getResponseHeader("Retry-After") || "a few") + " seconds.");
      if (xhr.status !== 202) return say("The file was not accepted: " + (body.error || "HTTP " + xhr.status));
      $("upload-progress").value = 100;
      say("Uploaded. Waiting for the analysis…");
      poll(body.id);
    };
    xhr.send(form);
  }

  async function poll(id) {
    let last = "";
    for (;;) {
      const r = await api("/v1/checks/" + id);
      if (!r.ok) return say("The check is gone (HTTP " + r.status + ").");
      const c = await r.json();
      $("elapsed").textContent = c.status === "done" ? "" : Math.round(c.progress.elapsed_s) + " s since upload";
      if (c.status === "done") return show(c.report);
      if (c.status !== "queued" && c.status !== "running") return say("The check was " + c.status + ": " + (c.error || "no reason given") + ".");
      // The live region hears changes of state only; the seconds tick outside it, so screen readers are not flooded.
      const text = c.status === "queued" ? "Queued: position " + c.progress.queue_position + "." : "Analysing…";
      if (text !== last) say(text);
      last = text;
      await new Promise((ok) => setTimeout(ok, 700));
    }
  }

  const WORDS = { fake: "Likely fake", real: "Likely real", no_face: "No face found", error: "Could not be checked" };

  function show(report) {
    $("result").hidden = false;
    const v = $("verdict");
    v.className = "verdict " + report.verdict;
    v.textContent = WORDS[report.verdict] || report.verdict;
    const t = report.threshold == null ? null : Number(report.threshold);
    $("score-line").textContent = report.score == null
      ? (report.error || "No face was scored, so there is no verdict on a face.")
      : "Fake probability " + Number(report.score).toFixed(3) + " against the detector's threshold " + t.toFixed(3)
        + " (" + report.frames + " frame" + (report.frames === 1 ? "" : "s") + ", " + report.faces + " face" + (report.faces === 1 ? "" : "s") + ").";
    chart(report.frame_scores || [], t);
    overlays(report.explanation);
    say("Done: " + v.textContent + ".");
    $("result-title").focus();
  }

  function chart(frames, threshold) {
    const box = $("chart");
    box.textContent = "";
    const points = frames.filter((f) => f.score != null);
    $("chart-figure").hidden = points.length === 0;
    if (points.length === 0) return;
    const W = 360, H = 200, L = 34, R = 8, T = 10, B = 30;
    const xs = points.map((f, i) => (f.seconds != null ? f.seconds : i));
    const unit = points.some((f) => f.seconds != null) ? "s" : "frame";
    const x0 = Math.min(...xs), x1 = Math.max(...xs), span = x1 - x0 || 1;
    const X = (x) => L + (points.length === 1 ? (W - L - R) / 2 : (x - x0) / span * (W - L - R));
    const Y = (y) => T + (1 - y) * (H - T - B);
    const s = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-labelledby": "chart-title chart-desc" });
    const title = svg("title", { id: "chart-title" });
    title.textContent = "Per-frame fake probability";
    const desc = svg("desc", { id: "chart-desc" });
    const hi = points.reduce((a, b) => (b.score > a.score ? b : a));
    desc.textContent = points.length + " scored faces; the highest is " + hi.score.toFixed(3) + " at " + (hi.seconds != null ? hi.seconds.toFixed(2) + " s" : "frame " + hi.frame) + ".";
    s.append(title, desc);
    [0, 0.5, 1].forEach((v) => {
      s.append(svg("line", { x1: L, x2: W - R, y1: Y(v), y2: Y(v), stroke: "#c9d1d9" }));
      const lab = svg("text", { x: L - 6, y: Y(v) + 4, "text-anchor": "end", "font-size": 12, fill: "#4a5560" });
      lab.textContent = v.toFixed(1);
      s.append(lab);
    });
    const xl = svg("text", { x: (L + W - R) / 2, y: H - 6, "text-anchor": "middle", "font-size": 12, fill: "#4a5560" });
    xl.textContent = unit === "s" ? "time (s): " + x0.toFixed(1) + " to " + x1.toFixed(1) : "frame";
    s.append(xl);
    if (threshold != null) {
      s.append(svg("line", { x1: L, x2: W - R, y1: Y(threshold), y2: Y(threshold), stroke: "#b3261e", "stroke-dasharray": "6 4", "stroke-width": 2, class: "threshold" }));
    }
    const path = points.map((f, i) => (i ? "L" : "M") + X(xs[i]).toFixed(1) + " " + Y(f.score).toFixed(1)).join(" ");
    s.append(svg("path", { d: path, fill: "none", stroke: "#0b57d0", "stroke-width": 2 }));
    points.forEach((f, i) => s.append(svg("circle", { cx: X(xs[i]), cy: Y(f.score), r: 3.5, fill: f.score >= (threshold ?? 2) ? "#b3261e" : "#0b57d0", class: "point" })));
    box.append(s);
  }

  async function overlays(explanation) {
    const box = $("overlays");
    box.textContent = "";
    const list = (explanation && explanation.overlays) || [];
    if (list.length === 0) {
      box.append(el("p", {}, explanation && explanation.error ? "No heat maps: " + explanation.error : "No heat maps for this file."));
      return;
    }
    for (const o of list) {
      const r = await api(o.file);
      if (!r.ok) continue;
      const url = URL.createObjectURL(await r.blob());
      const when = o.seconds != null ? o.seconds.toFixed(2) + " s" : "frame " + o.frame;
      const fig = el("figure");
      fig.append(el("img", { src: url, alt: "Heat map over face " + o.track + " at " + when + ", fake probability " + Number(o.score).toFixed(3) }),
        el("figcaption", {}, when + ": " + Number(o.score).toFixed(3)));
      box.append(fig);
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("result-title").tabIndex = -1;
    $("file").addEventListener("change", (e) => { if (e.target.files[0]) upload(e.target.files[0]); });
    const drop = $("drop");
    ["dragenter", "dragover"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.add("over"); }));
    ["dragleave", "drop"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.remove("over"); }));
    drop.addEventListener("drop", (e) => { if (e.dataTransfer.files[0]) upload(e.dataTransfer.files[0]); });
    $("token-save").addEventListener("click", () => {
      token = $("token").value.trim();
      sessionStorage.setItem("unmask-token", token);
      $("token-row").hidden = true;
      say("Token saved for this tab.");
      loadDetector();
    });
    loadDetector();
  });
})();
