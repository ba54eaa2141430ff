// Small progressive enhancements; every page works without them.
document.addEventListener("change", (event) => {
  const target = event.target;
  if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit")) {
    target.form.submit();
  }
});

// A register too large to offer whole (finres.web.choices): the search box beside its select
// asks the server for the entries that match, keeping the ones already chosen.
const choiceTimers = new WeakMap();
document.addEventListener("input", (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || !box.dataset.choicesFor) return;
  clearTimeout(choiceTimers.get(box));
  choiceTimers.set(box, setTimeout(() => findChoices(box), 250));
});

// Enter in the search box searches at once; it does not send the half-filled form.
document.addEventListener("keydown", (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || !box.dataset.choicesFor || event.key !== "Enter") return;
  event.preventDefault();
  clearTimeout(choiceTimers.get(box));
  findChoices(box);
});

async function findChoices(box) {
  const select = document.getElementById(box.dataset.choicesFor);
  if (!select) return;
  const url = new URL(select.dataset.choicesUrl, window.location.href);
  url.searchParams.set("q", box.value.trim());
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  if (!response.ok) return;
  const found = await response.json();
  const kept = [...select.options].filter((option) => option.selected || option.value === "");
  const keptValues = new Set(kept.map((option) => option.value));
  const offered = found.results
    .filter((entry) => !keptValues.has(entry.value))
    .map((entry) => new Option(entry.label, entry.value));
  select.replaceChildren(...kept, ...offered);
}
