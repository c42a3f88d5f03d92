/* xiaozhen map layers on Leaflet: draws the JSON specs made by xiaozhen.report.maps.
 * Shared by report.html (inlined) and the web app (served). No basemap tiles, no network.
 * Popups are built with textContent only (no HTML from data). */
(function (global) {
  "use strict";

  function popupNode(feature) {
    var p = feature.properties || {};
    var box = document.createElement("div");
    box.className = "xz-popup";
    var h = document.createElement("strong");
    h.textContent = p._label != null ? String(p._label) : String(feature.id || "");
    box.appendChild(h);
    var rows = p._popup || [];
    if (rows.length) {
      var t = document.createElement("table");
      rows.forEach(function (r) {
        var tr = document.createElement("tr");
        var k = document.createElement("th");
        k.textContent = String(r[0]);
        var v = document.createElement("td");
        v.textContent = String(r[1]);
        tr.appendChild(k);
        tr.appendChild(v);
        t.appendChild(tr);
      });
      box.appendChild(t);
    }
    return box;
  }

  function legendNode(spec) {
    var box = document.createElement("div");
    var h = document.createElement("div");
    h.className = "xz-legend-title";
    h.textContent = spec.legend.title;
    box.appendChild(h);
    spec.legend.entries.forEach(function (e) {
      var row = document.createElement("div");
      row.className = "xz-legend-row";
      var sw = document.createElement("span");
      sw.className = "xz-swatch";
      sw.style.background = e[0];
      var lab = document.createElement("span");
      lab.textContent = e[1];
      row.appendChild(sw);
      row.appendChild(lab);
      box.appendChild(row);
    });
    return box;
  }

  function makeLayer(spec, onClick) {
    var cls = spec.css_class || "";
    return L.geoJSON(spec.geojson, {
      style: function (f) {
        var fill = (f.properties && f.properties._fill) || "#3388ff";
        return {
          color: spec.kind === "line" ? fill : spec.stroke,
          weight: spec.weight,
          fillColor: fill,
          fillOpacity: spec.fill_opacity,
          opacity: 1,
          className: cls,
        };
      },
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, { radius: spec.radius, className: cls });
      },
      onEachFeature: function (f, layer) {
        layer.bindPopup(function () { return popupNode(f); });
        if (f.properties && f.properties._label != null) {
          layer.bindTooltip(String(f.properties._label), { sticky: true });
        }
        if (onClick) {
          layer.on("click", function () { onClick(spec, f); });
        }
      },
    });
  }

  /* Draw spec {layers:[...]} into element el. options.onFeatureClick(layerSpec, feature). */
  function render(el, spec, options) {
    options = options || {};
    var map = L.map(el, { zoomSnap: 0.25, attributionControl: true });
    map.attributionControl.setPrefix("Leaflet · xiaozhen");
    var overlays = {};
    var specs = {};
    var all = null;
    var control = L.control.layers(null, {}, { collapsed: false }).addTo(map);
    var legend = L.control({ position: "bottomright" });
    legend.onAdd = function () {
      var d = L.DomUtil.create("div", "xz-legend");
      L.DomEvent.disableScrollPropagation(d);
      return d;
    };
    legend.addTo(map);
    function refreshLegend() {
      var box = legend.getContainer();
      box.textContent = "";
      Object.keys(overlays).forEach(function (name) {
        if (map.hasLayer(overlays[name]) && specs[name].legend) {
          box.appendChild(legendNode(specs[name]));
        }
      });
      box.style.display = box.childNodes.length ? "" : "none";
    }
    function add(ls) {
      if (overlays[ls.name]) { remove(ls.name); }
      var layer = makeLayer(ls, options.onFeatureClick);
      overlays[ls.name] = layer;
      specs[ls.name] = ls;
      control.addOverlay(layer, ls.name);
      if (ls.visible !== false) { layer.addTo(map); }
      var b = layer.getBounds();
      if (b.isValid()) { all = all ? all.extend(b) : L.latLngBounds(b.getSouthWest(), b.getNorthEast()); }
      refreshLegend();
      return layer;
    }
    function remove(name) {
      if (!overlays[name]) { return; }
      control.removeLayer(overlays[name]);
      map.removeLayer(overlays[name]);
      delete overlays[name];
      delete specs[name];
      refreshLegend();
    }
    function setLegend(name, legendSpec) {
      if (specs[name]) { specs[name].legend = legendSpec; refreshLegend(); }
    }
    (spec.layers || []).forEach(add);
    map.on("overlayadd overlayremove", refreshLegend);
    if (all && all.isValid()) { map.fitBounds(all, { padding: [8, 8] }); } else { map.setView([29.2, 120.5], 7); }
    return { map: map, overlays: overlays, add: add, remove: remove, setLegend: setLegend, refreshLegend: refreshLegend };
  }

  /* Render every .xz-map element whose spec sits in <script id="<id>-data">. */
  function renderAll(root) {
    var out = [];
    (root || document).querySelectorAll(".xz-map").forEach(function (el) {
      var data = document.getElementById(el.id + "-data");
      if (data) { out.push(render(el, JSON.parse(data.textContent))); }
    });
    return out;
  }

  global.xzMap = { render: render, renderAll: renderAll, popupNode: popupNode };
})(window);
