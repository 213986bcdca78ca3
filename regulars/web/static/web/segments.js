// Segment builder: edits a SPEC 9.3 rule tree in place and asks the server for live
// counts (debounced) after every change. The tree object is the single source of truth;
// the DOM is redrawn from it when its shape changes.
(function () {
  "use strict";
  const root = document.getElementById("segment-builder");
  if (!root) return;
  const catalogue = JSON.parse(document.getElementById("segment-catalogue").textContent);
  const tree = JSON.parse(document.getElementById("segment-rules").textContent);
  const labels = catalogue.labels;
  const kinds = {};
  catalogue.criteria.forEach((c) => { kinds[c.type] = c; });
  const MULTI = ["genders", "customer_groups", "tags", "permissions", "items", "item_groups",
    "services", "events", "productions"];
  const LIST_KEYS = { genders: "values" };
  let timer = null;
  let generation = 0;

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([key, value]) => {
      if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value);
    });
    (children || []).forEach((child) => child && node.appendChild(child));
    return node;
  }

  function changed(redraw) {
    if (redraw) draw();
    clearTimeout(timer);
    timer = setTimeout(count, 300);
  }

  function select(options, value, onchange, attrs) {
    const node = el("select", attrs || {});
    options.forEach((option) => {
      const [val, text] = Array.isArray(option) ? option : [option, option];
      const item = el("option", { value: val, text: text });
      if (String(val) === String(value)) item.selected = true;
      node.appendChild(item);
    });
    node.addEventListener("change", () => onchange(node.value));
    return node;
  }

  function periodEditor(criterion, key) {
    const period = criterion[key] || {};
    const mode = "last_days" in period ? "last_days" : "next_days" in period ? "next_days"
      : "from" in period ? "dates" : "";
    const wrap = el("span", { class: "param-period" });
    wrap.appendChild(select([["", "—"], ["last_days", labels.last_days],
      ["next_days", labels.next_days], ["dates", labels.dates]], mode, (value) => {
      if (!value) delete criterion[key];
      else if (value === "dates") criterion[key] = { from: "", to: "" };
      else criterion[key] = { [value]: 30 };
      changed(true);
    }, { "aria-label": key, "data-param": key }));
    if (mode === "dates") {
      ["from", "to"].forEach((end) => wrap.appendChild(el("input", {
        type: "date", value: period[end] || "", "aria-label": key + " " + end,
        onchange: (event) => { period[end] = event.target.value; changed(false); },
      })));
    } else if (mode) {
      wrap.appendChild(el("input", {
        type: "number", min: "0", value: period[mode], "aria-label": key + " " + mode,
        oninput: (event) => { period[mode] = Number(event.target.value); changed(false); },
      }));
    }
    return wrap;
  }

  function paramEditor(criterion, key, kind) {
    const caption = (catalogue.parameter_labels || {})[key] || key;
    const label = el("label", { class: "param" }, [el("span", { text: caption })]);
    const choices = catalogue.choices[kind];
    let input;
    if (kind === "period") {
      input = periodEditor(criterion, key);
    } else if (MULTI.includes(kind)) {
      input = el("select", { multiple: "", "data-param": key, size: Math.min(4, (choices || []).length || 1) });
      (choices || []).forEach((choice) => {
        // a choice is a value, or a [value, label] pair
        const [value, text] = Array.isArray(choice) ? choice : [choice, choice];
        const option = el("option", { value: value, text: text });
        if ((criterion[key] || []).includes(value)) option.selected = true;
        input.appendChild(option);
      });
      input.addEventListener("change", () => {
        const picked = Array.from(input.selectedOptions).map((o) => o.value);
        if (picked.length) criterion[key] = picked; else delete criterion[key];
        changed(false);
      });
    } else if (choices) {
      input = select([["", "—"]].concat(choices), criterion[key] ?? "", (value) => {
        if (value === "") delete criterion[key]; else criterion[key] = value;
        changed(false);
      }, { "data-param": key });
    } else {
      const numeric = kind === "int" || kind === "number";
      input = el("input", {
        type: numeric ? "number" : "text", value: criterion[key] ?? "", "data-param": key,
        step: kind === "number" ? "any" : "1",
      });
      input.addEventListener("input", () => {
        const text = input.value.trim();
        if (text === "") delete criterion[key];
        else if (numeric || (kind === "value" && text !== "" && !isNaN(Number(text)))) criterion[key] = Number(text);
        else criterion[key] = text;
        changed(false);
      });
    }
    label.appendChild(input);
    return label;
  }

  function criterionNode(criterion, list, index, topLevel) {
    const kind = kinds[criterion.type];
    const node = el("li", { class: "criterion", "data-type": criterion.type });
    const head = el("div", { class: "criterion-head" }, [
      el("strong", { text: kind ? kind.label : criterion.type }),
      opposite(criterion),
      topLevel ? el("span", { class: "criterion-count", "data-index": index, text: "" }) : null,
      el("button", { type: "button", class: "button small secondary", text: labels.remove,
        onclick: () => { list.splice(index, 1); changed(true); } }),
    ]);
    node.appendChild(head);
    const params = el("div", { class: "criterion-params" });
    Object.entries(kind ? kind.parameters : {}).forEach(([key, paramKind]) => {
      const listKey = LIST_KEYS[paramKind] || key;
      params.appendChild(paramEditor(criterion, listKey, paramKind));
    });
    node.appendChild(params);
    return node;
  }

  function opposite(item) {
    const box = el("input", { type: "checkbox", onchange: (event) => {
      if (event.target.checked) item.opposite = true; else delete item.opposite;
      changed(false);
    } });
    box.checked = !!item.opposite;
    return el("label", { class: "opposite" }, [box, el("span", { text: labels.opposite })]);
  }

  function adder(list, withGroup) {
    const options = [["", labels.add + "…"]].concat(
      catalogue.criteria.map((c) => [c.type, c.label]));
    const picker = select(options, "", (value) => {
      if (value) { list.push({ type: value }); changed(true); }
    }, { "aria-label": labels.add, class: "add-criterion" });
    const bar = el("div", { class: "adder" }, [picker]);
    if (withGroup) {
      bar.appendChild(el("button", { type: "button", class: "button small secondary",
        text: labels.add_group, onclick: () => {
          list.push({ match: "any", criteria: [] }); changed(true);
        } }));
    }
    return bar;
  }

  function groupNode(group, parentList, index, depth) {
    group.criteria = group.criteria || [];
    const node = el("div", { class: "rule-group", "data-depth": depth });
    const head = el("div", { class: "group-head" }, [
      select([["all", labels.all], ["any", labels.any]], group.match || "all", (value) => {
        group.match = value; changed(false);
      }, { "aria-label": "match", class: "group-match" }),
      opposite(group),
      parentList ? el("button", { type: "button", class: "button small secondary",
        text: labels.remove, onclick: () => { parentList.splice(index, 1); changed(true); } })
        : null,
    ]);
    node.appendChild(head);
    const items = el("ul", { class: "group-items" });
    group.criteria.forEach((item, i) => {
      if ("match" in item || "criteria" in item) {
        const li = el("li", { class: "criterion" }, [groupNode(item, group.criteria, i, depth + 1)]);
        if (depth === 0) li.firstChild.firstChild.appendChild(
          el("span", { class: "criterion-count", "data-index": i }));
        items.appendChild(li);
      } else {
        items.appendChild(criterionNode(item, group.criteria, i, depth === 0));
      }
    });
    node.appendChild(items);
    node.appendChild(adder(group.criteria, depth < 7));
    if (depth === 0) {
      group.exclude = group.exclude || [];
      const excluded = el("ul", { class: "group-items excluded" });
      group.exclude.forEach((item, i) => excluded.appendChild(
        criterionNode(item, group.exclude, i, false)));
      node.appendChild(el("h3", { text: labels.exclude }));
      node.appendChild(excluded);
      const exclusionAdder = adder(group.exclude, false);
      exclusionAdder.firstChild.setAttribute("aria-label", labels.add_exclude);
      exclusionAdder.firstChild.classList.replace("add-criterion", "add-exclusion");
      node.appendChild(exclusionAdder);
    }
    return node;
  }

  function draw() {
    const holder = document.getElementById("rule-tree");
    holder.replaceChildren(groupNode(tree, null, 0, 0));
  }

  function cleaned() {
    const copy = JSON.parse(JSON.stringify(tree));
    if (copy.exclude && !copy.exclude.length) delete copy.exclude;
    return copy;
  }

  function csrfToken() {
    const field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function show(id, value) { document.getElementById(id).textContent = value; }

  async function count() {
    const mine = ++generation;
    const body = JSON.stringify(cleaned());
    document.getElementById("rules-field").value = body;
    document.querySelectorAll(".rules-copy").forEach((field) => { field.value = body; });
    const error = document.getElementById("rule-error");
    if (!tree.criteria.length) {
      ["count-total", "count-email", "count-sms"].forEach((id) => show(id, "–"));
      document.getElementById("member-rows").replaceChildren();
      error.hidden = true;
      return;
    }
    // GET while the tree fits comfortably in a URL (viewers may only read), else POST.
    const query = root.dataset.countUrl + "?rules=" + encodeURIComponent(body);
    const response = query.length < 3000
      ? await fetch(query, { credentials: "same-origin" })
      : await fetch(root.dataset.countUrl, {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      });
    if (mine !== generation) return;  // a newer edit is already on its way
    const data = await response.json();
    if (data.error) {
      error.textContent = data.error;
      error.hidden = false;
      return;
    }
    error.hidden = true;
    show("count-total", data.total);
    show("count-email", data.email);
    show("count-sms", data.sms);
    document.querySelectorAll("#rule-tree .criterion-count").forEach((badge) => {
      const entry = data.criteria[Number(badge.dataset.index)];
      badge.textContent = entry ? entry.count + " " + labels.customers : "";
    });
    document.getElementById("member-rows").replaceChildren(...data.members.map((m) => el("tr", {}, [
      el("td", {}, [m.url ? el("a", { href: m.url, text: m.name || m.external_id }) : el("span", { text: m.name })]),
      el("td", { text: m.external_id }), el("td", { text: m.email }), el("td", { text: m.mobile }),
    ])));
  }

  document.getElementById("save-form").addEventListener("submit", () => {
    document.getElementById("rules-field").value = JSON.stringify(cleaned());
  });
  draw();
  changed(false);
})();
