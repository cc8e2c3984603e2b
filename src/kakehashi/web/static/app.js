// Draw every chart of the page from its Vega-Lite spec; a click on a mark opens the works behind it.
(function () {
  "use strict";
  var page = new URLSearchParams(window.location.search);
  var BASE = ["country", "years", "field", "counting", "period", "lang"];

  function worksUrl(meta, datum) {
    var q = new URLSearchParams();
    BASE.forEach(function (k) { if (page.get(k)) { q.set(k, page.get(k)); } });
    if (!q.get("country")) { q.set("country", "JP"); }
    if (!q.get("years")) { q.set("years", "2012-2022"); }
    Object.keys(meta.fixed || {}).forEach(function (k) { q.set(k, meta.fixed[k]); });
    Object.keys(meta.fields || {}).forEach(function (k) {
      var v = datum[meta.fields[k]];
      if (v !== undefined && v !== null) { q.set(k, v); }
    });
    return "/works?" + q.toString();
  }

  document.querySelectorAll(".chart[data-spec]").forEach(function (el) {
    var spec = JSON.parse(document.getElementById(el.dataset.spec).textContent);
    var meta = (spec.usermeta || {}).works || {};
    var opts = {
      renderer: "svg",
      actions: { export: true, source: false, compiled: false, editor: false },
      i18n: { PNG_ACTION: "PNG", SVG_ACTION: "SVG" }
    };
    vegaEmbed(el, spec, opts).then(function (res) {
      el.dataset.rendered = "true";
      var link = (spec.usermeta || {}).link;
      res.view.addEventListener("click", function (event, item) {
        if (!item || !item.datum) { return; }
        var d = item.datum.datum || item.datum;
        // A mark that stands for a page (an institution's profile) opens it: on a click when the
        // chart has no works behind its marks, else on a Shift+click.
        if (link && d[link] && (!meta.fields || (event && event.shiftKey))) { window.location.href = d[link]; return; }
        if (!meta.fields) { return; }
        // A mark without the field the works need (a mobility flow with no move cell) opens nothing.
        if (meta.need && (d[meta.need] === undefined || d[meta.need] === null)) { return; }
        if (d.few === undefined && d.year === undefined && d.country === undefined && d.partner === undefined) { return; }
        window.location.href = worksUrl(meta, d);
      });
    }).catch(function (err) {
      el.dataset.rendered = "error";
      el.textContent = String(err);
    });
  });

  // A changed filter shows the new view at once (the form is a plain GET: the URL keeps it).
  var form = document.getElementById("filters");
  if (form) {
    form.addEventListener("submit", function () {
      // Empty filters stay out of the URL, so bookmarks hold only what was chosen.
      form.querySelectorAll("input, select").forEach(function (i) { if (!i.value) { i.disabled = true; } });
      // The profiled institution belongs to its country: another country drops it.
      var inst = form.querySelector("input[name=institution]");
      var country = form.querySelector("select[name=country]");
      if (inst && country && inst.dataset.country !== country.value) { inst.disabled = true; }
    });
    form.querySelectorAll("select").forEach(function (s) {
      s.addEventListener("change", function () { form.requestSubmit(); });
    });
  }
})();
