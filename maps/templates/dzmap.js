/* devzone map runtime (devzone 地图脚本), MIT licence, part of devzone.
 *
 * Decodes the compact polygon payloads written by devzone.maps.encode (zig-zag
 * varints, delta-coded, base64), draws each layer on its own canvas (a Leaflet
 * Renderer subclass, one path per colour class), hit-tests clicks and hovers in
 * JavaScript, and builds popups, tooltips, the legend and the search results with
 * DOM nodes and textContent only: no string from the data is ever parsed as HTML.
 */
(function (global) {
  'use strict';
  var L = global.L;
  var DZ = {layers: [], stores: {}, timings: {}};

  function t0() { return (global.performance && performance.now) ? performance.now() : Date.now(); }

  function bytes(b64) {
    var bin = atob(b64), n = bin.length, out = new Uint8Array(n);
    for (var i = 0; i < n; i++) { out[i] = bin.charCodeAt(i); }
    return out;
  }

  var POW = [];
  for (var p = 0; p < 10; p++) { POW.push(Math.pow(2, 7 * p)); }

  /* zig-zag varints (base64) -> Float64Array of signed integers */
  function varints(b64) {
    var b = bytes(b64), out = new Float64Array(b.length), k = 0, u = 0, s = 0;
    for (var i = 0; i < b.length; i++) {
      var c = b[i];
      u += (c & 0x7f) * POW[s];
      if (c & 0x80) { s++; } else {
        out[k++] = (u % 2) ? -(u + 1) / 2 : u / 2;
        u = 0; s = 0;
      }
    }
    return out.subarray(0, k);
  }

  function cumsum(a) {
    var out = new Uint32Array(a.length + 1);
    for (var i = 0; i < a.length; i++) { out[i + 1] = out[i] + a[i]; }
    return out;
  }

  /* A store: geometry in normalised Web-Mercator units (0..1) plus attributes. */
  function Store(payload) {
    var g = payload.geom, n = g.n, scale = g.scale;
    var rings = varints(g.rings), verts = varints(g.verts), d = varints(g.xy);
    this.n = n;
    this.featRing = cumsum(rings);
    this.ringVert = cumsum(verts);
    var nv = d.length / 2, u = new Float64Array(nv), v = new Float64Array(nv);
    var x = 0, y = 0, R2 = Math.PI / 180, MAXLAT = 85.0511287798;
    for (var i = 0; i < nv; i++) {
      x += d[2 * i]; y += d[2 * i + 1];
      var lon = x / scale, lat = Math.max(-MAXLAT, Math.min(MAXLAT, y / scale));
      u[i] = (lon + 180) / 360;
      v[i] = 0.5 - Math.log(Math.tan(Math.PI / 4 + lat * R2 / 2)) / (2 * Math.PI);
    }
    this.u = u; this.v = v;
    var bx0 = new Float64Array(n), by0 = new Float64Array(n);
    var bx1 = new Float64Array(n), by1 = new Float64Array(n);
    for (var f = 0; f < n; f++) {
      var a = this.ringVert[this.featRing[f]], b = this.ringVert[this.featRing[f + 1]];
      var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      for (var j = a; j < b; j++) {
        if (u[j] < x0) { x0 = u[j]; } if (u[j] > x1) { x1 = u[j]; }
        if (v[j] < y0) { y0 = v[j]; } if (v[j] > y1) { y1 = v[j]; }
      }
      bx0[f] = x0; by0[f] = y0; bx1[f] = x1; by1[f] = y1;
    }
    this.bx0 = bx0; this.by0 = by0; this.bx1 = bx1; this.by1 = by1;
    this.attrs = payload.attrs;
    this.title = payload.title;
    for (var c = 0; c < this.attrs.length; c++) {
      var col = this.attrs[c];
      if (col.pool) { col.dict = payload.pool; }
      if (col.codes) { col.ix = varints(col.codes); }
      if (col.num) {
        var e = varints(col.num), k = Math.pow(10, col.decimals || 0);
        col.nv = new Float64Array(e.length);
        for (var q = 0; q < e.length; q++) {
          col.nv[q] = e[q] === 0 ? NaN : (e[q] > 0 ? e[q] - 1 : e[q]) / k;
        }
      }
    }
  }

  function unproject(u, v) {
    var lon = u * 360 - 180;
    var lat = (2 * Math.atan(Math.exp((0.5 - v) * 2 * Math.PI)) - Math.PI / 2) * 180 / Math.PI;
    return L.latLng(lat, lon);
  }

  Store.prototype.bounds = function (f) {
    return L.latLngBounds(unproject(this.bx0[f], this.by1[f]), unproject(this.bx1[f], this.by0[f]));
  };
  Store.prototype.center = function (f) {
    return unproject((this.bx0[f] + this.bx1[f]) / 2, (this.by0[f] + this.by1[f]) / 2);
  };

  /* Value of attribute column c for feature f (dictionary columns resolved). */
  Store.prototype.value = function (c, f) {
    var col = this.attrs[c];
    if (col.nv) { return isNaN(col.nv[f]) ? null : col.nv[f]; }
    if (col.ix) { return col.ix[f] > 0 ? col.dict[col.ix[f] - 1] : null; }
    var val = col.values[f];
    return (val === null || val === undefined) ? null : val;
  };

  /* Predicate "column c of feature f contains q" (q lower-case), dictionary-aware. */
  Store.prototype.matcher = function (c, q) {
    var col = this.attrs[c], self = this;
    if (col.ix) {
      var hit = new Uint8Array(col.dict.length + 1);
      for (var d = 0; d < col.dict.length; d++) {
        if (String(col.dict[d]).toLowerCase().indexOf(q) >= 0) { hit[d + 1] = 1; }
      }
      return function (f) { return hit[col.ix[f]] === 1; };
    }
    return function (f) {
      var v = self.value(c, f);
      return v !== null && String(v).toLowerCase().indexOf(q) >= 0;
    };
  };

  Store.prototype.text = function (c, f) {
    var col = this.attrs[c], val = this.value(c, f);
    if (val === null || val === '') { return null; }
    if (typeof val === 'number' && col.decimals !== undefined) {
      return val.toLocaleString('zh-CN', {minimumFractionDigits: col.decimals,
        maximumFractionDigits: col.decimals});
    }
    return String(val);
  };

  /* Point-in-feature (even-odd over all rings), in normalised units. */
  Store.prototype.contains = function (f, px, py) {
    var inside = false, u = this.u, v = this.v;
    for (var r = this.featRing[f]; r < this.featRing[f + 1]; r++) {
      var a = this.ringVert[r], b = this.ringVert[r + 1];
      for (var i = a, j = b - 1; i < b; j = i++) {
        if (((v[i] > py) !== (v[j] > py)) &&
            (px < (u[j] - u[i]) * (py - v[i]) / (v[j] - v[i]) + u[i])) { inside = !inside; }
      }
    }
    return inside;
  };

  /* Distance (normalised units) from a point to the nearest ring edge of feature f. */
  Store.prototype.edgeDistance = function (f, px, py) {
    var best = Infinity, u = this.u, v = this.v;
    for (var r = this.featRing[f]; r < this.featRing[f + 1]; r++) {
      var a = this.ringVert[r], b = this.ringVert[r + 1];
      for (var i = a, j = b - 1; i < b; j = i++) {
        var dx = u[i] - u[j], dy = v[i] - v[j], L2 = dx * dx + dy * dy;
        var t = L2 ? Math.max(0, Math.min(1, ((px - u[j]) * dx + (py - v[j]) * dy) / L2)) : 0;
        var ex = u[j] + t * dx - px, ey = v[j] + t * dy - py, d = ex * ex + ey * ey;
        if (d < best) { best = d; }
      }
    }
    return Math.sqrt(best);
  };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }

  /* Popup body: a table of label/value rows, built with textContent. */
  Store.prototype.popup = function (f) {
    var box = el('div', 'dz-popup'), tbl = el('table');
    if (this.title) { box.appendChild(el('div', 'dz-popup-title', this.title)); }
    for (var c = 0; c < this.attrs.length; c++) {
      var t = this.text(c, f);
      if (t === null || this.attrs[c].popup === false) { continue; }
      var tr = el('tr');
      tr.appendChild(el('th', null, this.attrs[c].label));
      tr.appendChild(el('td', null, t + (this.attrs[c].unit ? ' ' + this.attrs[c].unit : '')));
      tbl.appendChild(tr);
    }
    box.appendChild(tbl);
    return box;
  };

  Store.prototype.tooltip = function (f) {
    var parts = [];
    for (var c = 0; c < this.attrs.length; c++) {
      if (!this.attrs[c].tooltip) { continue; }
      var t = this.text(c, f);
      if (t !== null) { parts.push(t); }
    }
    return el('span', 'dz-tooltip', parts.join(' · '));
  };

  /* One switchable layer: a subset of a store's features, coloured by class. */
  var PolygonLayer = L.Renderer.extend({
    options: {padding: 0.1, weight: 1, fillOpacity: 0.7, fill: true, dash: null},

    initialize: function (store, spec, options) {
      L.Renderer.prototype.initialize.call(this, options);
      this._store = store;
      this._classes = spec.classes;
      var members = spec.members ? varints(spec.members) : null;
      var cls = spec.cls ? varints(spec.cls) : null;
      var n = members ? members.length : store.n;
      var groups = [];
      for (var k = 0; k < spec.classes.length; k++) { groups.push([]); }
      var prev = 0;
      for (var i = 0; i < n; i++) {
        var f = members ? (prev += members[i]) : i;
        groups[cls ? cls[i] : 0].push(f);
      }
      this._groups = groups.map(function (g) { return Uint32Array.from(g); });
      this._order = [];
      for (var q = 0; q < groups.length; q++) {
        for (var m = 0; m < groups[q].length; m++) { this._order.push(groups[q][m]); }
      }
      this.name = spec.name;
      this.count = n;
      this._labelSpec = spec.labels || null;
    },

    onAdd: function (map) {
      L.Renderer.prototype.onAdd.call(this, map);
      var ls = this._labelSpec, s = this._store, cls = this.options.labelClass || 'dz-label';
      if (!ls) { return; }
      this._labels = [];
      for (var f = 0; f < ls.pts.length; f++) {
        var t = s.text(ls.col, f);
        if (t === null) { continue; }
        var tip = L.tooltip({permanent: true, direction: 'center', className: cls,
          interactive: false, opacity: 1}).setLatLng(ls.pts[f]).setContent(el('span', null, t));
        map.openTooltip(tip);
        this._labels.push(tip);
      }
    },

    onRemove: function (map) {
      (this._labels || []).forEach(function (tip) { map.closeTooltip(tip); });
      this._labels = [];
      L.Renderer.prototype.onRemove.call(this, map);
    },

    _initContainer: function () {
      var c = this._container = document.createElement('canvas');
      c.style.pointerEvents = 'none';
      this._ctx = c.getContext('2d');
    },

    _destroyContainer: function () {
      delete this._ctx;
      L.DomUtil.remove(this._container);
      delete this._container;
    },

    _update: function () {
      if (this._map._animatingZoom && this._bounds) { return; }
      L.Renderer.prototype._update.call(this);
      var b = this._bounds, c = this._container, size = b.getSize();
      var m = L.Browser.retina ? 2 : 1;
      L.DomUtil.setPosition(c, b.min);
      c.width = m * size.x; c.height = m * size.y;
      c.style.width = size.x + 'px'; c.style.height = size.y + 'px';
      var ctx = this._ctx;
      ctx.setTransform(m, 0, 0, m, 0, 0);
      ctx.translate(-b.min.x, -b.min.y);
      this._draw();
      this.fire('update');
    },

    _draw: function () {
      var map = this._map, b = this._bounds, ctx = this._ctx, s = this._store;
      var S = 256 * Math.pow(2, map.getZoom()), o = map.getPixelOrigin();
      var ux0 = (b.min.x + o.x) / S, ux1 = (b.max.x + o.x) / S;
      var vy0 = (b.min.y + o.y) / S, vy1 = (b.max.y + o.y) / S;
      var u = s.u, v = s.v, fr = s.featRing, rv = s.ringVert, opt = this.options;
      var tiny = 1.5 / S, keep = s.keep || null;
      ctx.lineJoin = 'round';
      ctx.lineWidth = opt.weight;
      if (opt.dash) { ctx.setLineDash(opt.dash); }
      for (var k = 0; k < this._groups.length; k++) {
        var g = this._groups[k], cl = this._classes[k];
        if (!g.length) { continue; }
        ctx.beginPath();
        for (var i = 0; i < g.length; i++) {
          var f = g[i];
          if (keep && !keep[f]) { continue; }
          if (s.bx1[f] < ux0 || s.bx0[f] > ux1 || s.by1[f] < vy0 || s.by0[f] > vy1) { continue; }
          if (s.bx1[f] - s.bx0[f] < tiny && s.by1[f] - s.by0[f] < tiny) {
            ctx.rect(s.bx0[f] * S - o.x, s.by0[f] * S - o.y, 1.5, 1.5);
            continue;
          }
          for (var r = fr[f]; r < fr[f + 1]; r++) {
            var a = rv[r], e = rv[r + 1];
            ctx.moveTo(u[a] * S - o.x, v[a] * S - o.y);
            for (var j = a + 1; j < e; j++) { ctx.lineTo(u[j] * S - o.x, v[j] * S - o.y); }
            ctx.closePath();
          }
        }
        if (opt.fill && cl.fill) {
          ctx.globalAlpha = opt.fillOpacity;
          ctx.fillStyle = cl.fill;
          ctx.fill('evenodd');
          ctx.globalAlpha = 1;
        }
        if (cl.stroke) {
          ctx.strokeStyle = cl.stroke;
          ctx.stroke();
        }
      }
      if (DZ.timings.firstDraw === undefined) {
        DZ.timings.firstDraw = t0();
        global.DZ_FIRST_DRAW = DZ.timings.firstDraw;
      }
    },

    /* Feature under a map point, topmost first, or -1. */
    hit: function (latlng, edgeOnly) {
      var s = this._store, u = (latlng.lng + 180) / 360, keep = s.keep || null;
      var lat = latlng.lat * Math.PI / 180;
      var v = 0.5 - Math.log(Math.tan(Math.PI / 4 + lat / 2)) / (2 * Math.PI);
      if (edgeOnly) {
        var tol = this.options.edgeHit / (256 * Math.pow(2, this._map.getZoom()));
        for (var q = this._order.length - 1; q >= 0; q--) {
          var e = this._order[q];
          if (u < s.bx0[e] - tol || u > s.bx1[e] + tol || v < s.by0[e] - tol ||
              v > s.by1[e] + tol) { continue; }
          if (s.edgeDistance(e, u, v) <= tol) { return e; }
        }
        return -1;
      }
      for (var i = this._order.length - 1; i >= 0; i--) {
        var f = this._order[i];
        if (keep && !keep[f]) { continue; }
        if (u < s.bx0[f] || u > s.bx1[f] || v < s.by0[f] || v > s.by1[f]) { continue; }
        if (s.contains(f, u, v)) { return f; }
      }
      return -1;
    }
  });

  DZ.store = function (name, payload) {
    var start = t0();
    var s = new Store(payload);
    DZ.stores[name] = s;
    DZ.timings['decode_' + name] = t0() - start;
    return s;
  };

  DZ.polygons = function (store, spec, options) {
    var layer = new PolygonLayer(store, spec, options);
    DZ.layers.push(layer);
    return layer;
  };

  /* Click → popup, hover → tooltip, on the topmost visible layer with a feature. */
  function topHit(map, latlng) {
    /* Outlines first (zones above the parcels): a click on a zone's edge opens it. */
    for (var k = DZ.layers.length - 1; k >= 0; k--) {
      var edged = DZ.layers[k];
      if (!edged.options.edgeHit || !map.hasLayer(edged)) { continue; }
      var g = edged.hit(latlng, true);
      if (g >= 0) { return {layer: edged, f: g}; }
    }
    for (var i = DZ.layers.length - 1; i >= 0; i--) {
      var layer = DZ.layers[i];
      if (!map.hasLayer(layer) || layer.options.interactive === false) { continue; }
      var f = layer.hit(latlng);
      if (f >= 0) { return {layer: layer, f: f}; }
    }
    return null;
  }

  DZ.openPopup = function (map, store, f, latlng) {
    if (!DZ.popup) { DZ.popup = L.popup({maxWidth: 360}); }
    DZ.popup.setLatLng(latlng || store.center(f)).setContent(store.popup(f));
    if (!map.hasLayer(DZ.popup)) { DZ.popup.openOn(map); }
    return DZ.popup;
  };

  DZ.interact = function (map) {
    DZ.map = map;
    var tip = L.tooltip({direction: 'top', offset: [0, -6], opacity: 0.9});
    var pending = null;
    map.on('click', function (e) {
      if (map.hasLayer(tip)) { map.closeTooltip(tip); }
      var h = topHit(map, e.latlng);
      if (h) { DZ.openPopup(map, h.layer._store, h.f, e.latlng); }
    });
    map.on('mousemove', function (e) {
      pending = e.latlng;
      if (DZ._raf) { return; }
      DZ._raf = L.Util.requestAnimFrame(function () {
        DZ._raf = null;
        var h = topHit(map, pending);
        map.getContainer().style.cursor = h ? 'pointer' : '';
        if (h) {
          tip.setLatLng(pending).setContent(h.layer._store.tooltip(h.f));
          if (!map.hasLayer(tip)) { map.openTooltip(tip); }
        } else if (map.hasLayer(tip)) { map.closeTooltip(tip); }
      });
    });
    map.on('mouseout', function () { if (map.hasLayer(tip)) { map.closeTooltip(tip); } });
  };

  function layerNamed(name) {
    for (var i = 0; i < DZ.layers.length; i++) { if (DZ.layers[i].name === name) { return DZ.layers[i]; } }
    return null;
  }

  function collapsible(box, head, collapsed) {
    head.title = '点击折叠/展开';
    head.setAttribute('role', 'button');
    if (collapsed) { L.DomUtil.addClass(box, 'dz-collapsed'); }
    L.DomEvent.on(head, 'click', function () {
      L.DomUtil.hasClass(box, 'dz-collapsed') ? L.DomUtil.removeClass(box, 'dz-collapsed')
        : L.DomUtil.addClass(box, 'dz-collapsed');
    });
  }

  function panel(box) {
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  }

  /* Legend: sections of colour swatches (each shown while its layer is on), the
   * basemap/CRS statement and notes; collapsible, scrolls inside itself. */
  DZ.legend = function (map, spec) {
    var ctl = L.control({position: 'bottomright'});
    ctl.onAdd = function () {
      var box = el('div', 'dz-legend dz-panel');
      var title = el('div', 'dz-legend-title dz-panel-head', spec.title);
      box.appendChild(title);
      collapsible(box, title, false);
      var body = el('div', 'dz-panel-body');
      box.appendChild(body);
      spec.sections.forEach(function (sec) {
        var s = el('div', 'dz-legend-section');
        s.setAttribute('data-layer', sec.layer || '');
        s.appendChild(el('div', 'dz-legend-head', sec.title));
        sec.items.forEach(function (it) {
          var row = el('div', 'dz-legend-item');
          var sw = el('span', 'dz-swatch');
          sw.style.background = it.fill || 'transparent';
          sw.style.borderColor = it.stroke || it.fill || '#333';
          row.appendChild(sw);
          row.appendChild(el('span', null, it.label));
          s.appendChild(row);
        });
        body.appendChild(s);
        var layer = layerNamed(sec.layer);
        if (layer) {
          var sync = function () { s.style.display = map.hasLayer(layer) ? '' : 'none'; };
          layer.on('add remove', sync);
          sync();
        }
      });
      body.appendChild(el('div', 'dz-legend-crs', spec.crs));
      (spec.notes || []).forEach(function (n) { body.appendChild(el('div', 'dz-legend-note', n)); });
      /* Fit between the top-right controls (layer list) and the map's bottom edge. */
      function fit() {
        var c = map.getContainer(), top = c.getBoundingClientRect().top;
        var tr = c.querySelector('.leaflet-top.leaflet-right');
        var used = tr && tr.children.length ? tr.getBoundingClientRect().bottom - top : 0;
        var free = c.clientHeight - used - title.offsetHeight - 60;
        body.style.maxHeight = Math.max(80, free) + 'px';
      }
      DZ.fitLegend = fit;
      map.on('resize', fit);
      setTimeout(fit, 0);
      return panel(box);
    };
    return ctl.addTo(map);
  };

  /* Search by parcel code or enterprise/holder name: a list, one line per hit. */
  DZ.search = function (map, store, spec) {
    var ctl = L.control({position: 'topleft'});
    ctl.onAdd = function () {
      var box = el('div', 'dz-search dz-panel');
      var input = el('input');
      input.type = 'search';
      input.placeholder = spec.placeholder;
      input.setAttribute('aria-label', spec.placeholder);
      var list = el('ul', 'dz-search-results');
      list.setAttribute('role', 'listbox');
      box.appendChild(input);
      box.appendChild(list);
      var cols = spec.columns, timer = null;
      function go(f) {
        map.fitBounds(store.bounds(f), {maxZoom: 17});
        DZ.openPopup(map, store, f);
      }
      function run() {
        var q = input.value.trim().toLowerCase();
        list.textContent = '';
        if (q.length < 2) { return []; }
        var found = [], seen = {};
        for (var c = 0; c < cols.length && found.length < 10; c++) {
          var match = store.matcher(cols[c], q);
          for (var f = 0; f < store.n && found.length < 10; f++) {
            if (!seen[f] && match(f)) { found.push(f); seen[f] = true; }
          }
        }
        found.forEach(function (f) {
          var parts = spec.show.map(function (c) { return store.text(c, f); })
            .filter(function (t) { return t !== null; });
          var li = el('li', 'dz-search-hit', parts.join(' — '));
          li.title = parts.join(' — ');
          li.setAttribute('role', 'option');
          li.tabIndex = 0;
          L.DomEvent.on(li, 'click', function (ev) { L.DomEvent.preventDefault(ev); go(f); });
          L.DomEvent.on(li, 'keydown', function (ev) { if (ev.key === 'Enter') { go(f); } });
          list.appendChild(li);
        });
        if (!found.length) { list.appendChild(el('li', 'dz-search-none', spec.none)); }
        return found;
      }
      L.DomEvent.on(input, 'input', function () {
        clearTimeout(timer); list.textContent = ''; timer = setTimeout(run, 150);
      });
      L.DomEvent.on(input, 'keydown', function (ev) {
        if (ev.key === 'Enter') { var found = run(); if (found.length) { go(found[0]); } }
      });
      return panel(box);
    };
    return ctl.addTo(map);
  };

  /* Chinese control tooltips and the notice shown when basemap tiles cannot load. */
  DZ.ui = function (map, text) {
    DZ.text = text;
    var c = map.getContainer();
    [['.leaflet-control-zoom-in', text.zoom_in], ['.leaflet-control-zoom-out', text.zoom_out],
     ['.leaflet-control-measure-toggle', text.measure],
     ['.leaflet-control-layers-toggle', text.layers]].forEach(function (p) {
      var e = c.querySelector(p[0]);
      if (e) { e.title = p[1]; e.setAttribute('aria-label', p[1]); }
    });
    var notice = null;
    function show() {
      if (notice || DZ.noticeDismissed) { return; }
      notice = el('div', 'dz-notice');
      notice.setAttribute('role', 'alert');
      notice.appendChild(el('span', null, text.tile_notice));
      var x = el('button', 'dz-notice-close', '×');
      x.type = 'button';
      x.title = text.close;
      x.setAttribute('aria-label', text.close);
      L.DomEvent.on(x, 'click', function (ev) {
        L.DomEvent.stop(ev);
        DZ.noticeDismissed = true;
        L.DomUtil.remove(notice);
      });
      notice.appendChild(x);
      c.appendChild(panel(notice));
    }
    map.eachLayer(function (l) { if (l instanceof L.TileLayer) { l.on('tileerror', show); } });
    map.on('layeradd', function (e) {
      if (e.layer instanceof L.TileLayer) { e.layer.on('tileerror', show); }
    });
  };

  /* CSV: every cell quoted; a cell starting with = + - @ tab or CR gets a leading '
   * (no spreadsheet formula); UTF-8 with BOM so Excel reads the Chinese. */
  DZ.csvCell = function (v) {
    var t = (v === null || v === undefined) ? '' : String(v);
    if (/^[=+\-@\t\r]/.test(t)) { t = "'" + t; }
    return '"' + t.replace(/"/g, '""') + '"';
  };

  DZ.csv = function (store, rows) {
    var head = store.attrs.map(function (a) { return a.label + (a.unit ? ' (' + a.unit + ')' : ''); });
    var lines = [head.map(DZ.csvCell).join(',')];
    rows.forEach(function (f) {
      lines.push(store.attrs.map(function (a, c) {
        var v = store.value(c, f);
        if (typeof v === 'number' && a.decimals !== undefined) { v = v.toFixed(a.decimals); }
        return DZ.csvCell(v);
      }).join(','));
    });
    return '\ufeff' + lines.join('\r\n') + '\r\n';
  };

  /* Filters by grade, idle status, zone and industry fit (with counts), redrawing
   * the parcel layers; export of the parcels shown to CSV. */
  DZ.filters = function (map, store, spec) {
    if (!spec.groups) { return null; }
    var groups = spec.groups.map(function (g) {
      return {spec: g, codes: varints(g.codes), on: g.labels.map(function () { return true; }),
        counts: [], boxes: []};
    });
    var keep = store.keep = new Uint8Array(store.n);
    var shownEl = el('div', 'dz-filter-count');
    function recompute(initial) {
      groups.forEach(function (g) { g.counts = g.spec.labels.map(function () { return 0; }); });
      var shown = 0;
      for (var f = 0; f < store.n; f++) {
        var fails = 0, failed = -1;
        for (var k = 0; k < groups.length; k++) {
          if (!groups[k].on[groups[k].codes[f]]) { fails++; failed = k; }
        }
        keep[f] = fails === 0 ? 1 : 0;
        shown += keep[f];
        for (var q = 0; q < groups.length; q++) {
          if (fails === 0 || (fails === 1 && failed === q)) { groups[q].counts[groups[q].codes[f]]++; }
        }
      }
      groups.forEach(function (g) {
        g.boxes.forEach(function (b, i) { b.count.textContent = ' (' + g.counts[i] + ')'; });
      });
      shownEl.textContent = DZ.text.filter_shown + ' ' + shown + ' / ' + store.n + ' 宗';
      if (initial === true) { return shown; }  // everything is kept: already drawn
      DZ.layers.forEach(function (l) { if (l._store === store && l._map) { l._update(); } });
      if (DZ.popup && map.hasLayer(DZ.popup)) { map.closePopup(DZ.popup); }
      return shown;
    }
    DZ.selected = function () {
      var out = [];
      for (var f = 0; f < store.n; f++) { if (keep[f]) { out.push(f); } }
      return out;
    };
    DZ.exportCsv = function () {
      var blob = new Blob([DZ.csv(store, DZ.selected())], {type: 'text/csv;charset=utf-8'});
      var a = el('a');
      a.href = URL.createObjectURL(blob);
      a.download = spec.filename;
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); L.DomUtil.remove(a); }, 1000);
    };
    var ctl = L.control({position: 'bottomleft'});
    ctl.onAdd = function () {
      var box = el('div', 'dz-filters dz-panel');
      var head = el('div', 'dz-panel-head', DZ.text.filter_title);
      box.appendChild(head);
      collapsible(box, head, true);
      var body = el('div', 'dz-panel-body');
      box.appendChild(body);
      body.appendChild(shownEl);
      groups.forEach(function (g) {
        var fs = el('fieldset', 'dz-filter-group');
        fs.setAttribute('data-key', g.spec.key);
        fs.appendChild(el('legend', null, g.spec.title));
        g.spec.labels.forEach(function (label, i) {
          var lab = el('label', 'dz-filter-item');
          var cb = el('input');
          cb.type = 'checkbox';
          cb.checked = true;
          cb.value = String(i);
          L.DomEvent.on(cb, 'change', function () { g.on[i] = cb.checked; recompute(); });
          lab.appendChild(cb);
          lab.appendChild(el('span', null, label));
          var count = el('span', 'dz-filter-n');
          lab.appendChild(count);
          g.boxes.push({cb: cb, count: count});
          fs.appendChild(lab);
        });
        body.appendChild(fs);
      });
      var btn = el('button', 'dz-export', DZ.text.export);
      btn.type = 'button';
      L.DomEvent.on(btn, 'click', function (ev) { L.DomEvent.stop(ev); DZ.exportCsv(); });
      body.appendChild(btn);
      return panel(box);
    };
    ctl.addTo(map);
    DZ.refilter = recompute;
    recompute(true);
    return ctl;
  };

  /* The zone summary panel computed by the map job: one row per zone. */
  DZ.summary = function (map, spec) {
    var ctl = L.control({position: 'bottomleft'});
    ctl.onAdd = function () {
      var box = el('div', 'dz-summary dz-panel');
      var head = el('div', 'dz-panel-head', spec.title);
      box.appendChild(head);
      collapsible(box, head, true);
      var body = el('div', 'dz-panel-body'), tbl = el('table'), tr = el('tr');
      spec.columns.forEach(function (c) { tr.appendChild(el('th', null, c)); });
      tbl.appendChild(tr);
      spec.rows.forEach(function (r) {
        var row = el('tr');
        r.forEach(function (v) { row.appendChild(el('td', null, v)); });
        tbl.appendChild(row);
      });
      body.appendChild(tbl);
      box.appendChild(body);
      return panel(box);
    };
    return ctl.addTo(map);
  };

  global.DZ = DZ;
}(window));
