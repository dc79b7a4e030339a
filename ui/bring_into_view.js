// Presenter mode (ui/present.py, bring_into_view), once per view id: "top" scrolls the
// page back to its top (a new step: its title and question); "chart" brings the first
// chart of .st-key-__CONTAINER__ into view once it is drawn, charts side by side as
// their row: whole, just above the bottom edge, when it fits below Streamlit's header;
// else its top just below the header. The app may still be drawing (a training run,
// charts above growing), so the chart is kept in view until the app has been idle for
// a second, unless the viewer scrolls or presses a key first.
(() => {
  const id = "__ID__", mode = "__MODE__";
  if (window.layerscopeView === id) return;      // this view was brought in already
  window.layerscopeView = id;
  const main = document.querySelector('[data-testid="stMain"]');
  if (mode === "top") {
    if (main) main.scrollTo({top: 0, behavior: "smooth"});
    return;
  }
  const started = Date.now();
  let moved = false, idleSince = null, calmUntil = 0, first = true;
  for (const type of ["wheel", "touchmove", "keydown", "mousedown"]) {
    window.addEventListener(type, () => { moved = true; }, {once: true, capture: true});
  }
  const target = () => {
    const box = document.querySelector(".st-key-__CONTAINER__");
    const chart = box && box.querySelector('[data-testid="stPlotlyChart"]');
    if (!chart || !chart.querySelector(".main-svg")) return null;
    return chart.closest('[data-testid="stHorizontalBlock"]') || chart;
  };
  const idle = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app && app.getAttribute("data-test-script-state") === "notRunning"
      && !document.querySelector('[data-testid="stMain"] [data-testid="stSkeleton"]');
  };
  const place = (el, behavior) => {
    const head = document.querySelector('[data-testid="stHeader"]');
    const top = head ? Math.max(0, head.getBoundingClientRect().bottom) : 0;
    const r = el.getBoundingClientRect();
    const fits = r.height + 24 <= window.innerHeight - top;
    if (fits ? r.top >= top && r.bottom <= window.innerHeight
             : Math.abs(r.top - top - 8) < 2) return;
    el.style.scrollMarginTop = (top + 8) + "px";
    el.style.scrollMarginBottom = "16px";
    el.scrollIntoView({block: fits ? "end" : "start", behavior});
    calmUntil = Date.now() + 800;                 // let a smooth scroll finish
  };
  const look = () => {
    if (window.layerscopeView !== id || moved || Date.now() - started > 30000) return;
    const el = target(), now = Date.now();
    if (el && now >= calmUntil) {
      place(el, first ? "smooth" : "instant");
      first = false;
    }
    idleSince = idle() ? (idleSince ?? now) : null;
    if (!first && idleSince !== null && now - idleSince > 1000 && now >= calmUntil) return;
    setTimeout(look, 200);
  };
  look();
})();
