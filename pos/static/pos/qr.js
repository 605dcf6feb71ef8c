/*!
 * qr.js: a small QR Code encoder (byte mode, ISO/IEC 18004 model 2, versions 1-40).
 *
 * Written for the OCOP POS so the cashier screen can draw a VietQR payload with no CDN
 * and no server round trip. The structure follows Project Nayuki's "QR Code generator
 * library" (MIT License, Copyright (c) Project Nayuki, https://www.nayuki.io/page/qr-code-generator-library):
 * the same tables, Reed-Solomon over GF(2^8)/0x11D, and codeword placement.
 * Its output is checked module for module against the Python `qrcode` package
 * (tests/test_qr_js.py), at every level and mask.
 *
 * MIT License. Permission is hereby granted, free of charge, to any person obtaining a
 * copy of this software and associated documentation files (the "Software"), to deal in
 * the Software without restriction, including without limitation the rights to use, copy,
 * modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and
 * to permit persons to whom the Software is furnished to do so, subject to the following
 * conditions: The above copyright notice and this permission notice shall be included in
 * all copies or substantial portions of the Software. THE SOFTWARE IS PROVIDED "AS IS",
 * WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED.
 *
 * API: OcopQR.encode(text, {ecl: "L"|"M"|"Q"|"H", mask: 0-7|undefined})
 *        -> {version, size, mask, modules: boolean[row][col]}
 *      OcopQR.toSvg(text, {ecl, border, title}) -> SVGSVGElement
 */
(function (global) {
  "use strict";

  // Indexed by error-correction level, then version (index 0 unused).
  var ECC_PER_BLOCK = {
    L: [-1, 7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28, 28, 28, 30, 30, 26, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
    M: [-1, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28],
    Q: [-1, 13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30, 28, 30, 30, 30, 30, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
    H: [-1, 17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28, 30, 24, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30]
  };
  var NUM_BLOCKS = {
    L: [-1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8, 8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 24, 25],
    M: [-1, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49],
    Q: [-1, 1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20, 23, 23, 25, 27, 29, 34, 34, 35, 38, 40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68],
    H: [-1, 1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25, 25, 34, 30, 32, 35, 37, 40, 42, 45, 48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81]
  };
  var FORMAT_BITS = { L: 1, M: 0, Q: 3, H: 2 };

  function utf8Bytes(text) {
    return Array.from(new TextEncoder().encode(text));
  }

  function rawDataModules(ver) {
    var result = (16 * ver + 128) * ver + 64;
    if (ver >= 2) {
      var numAlign = Math.floor(ver / 7) + 2;
      result -= (25 * numAlign - 10) * numAlign - 55;
      if (ver >= 7) result -= 36;
    }
    return result;
  }

  function dataCodewords(ver, ecl) {
    return Math.floor(rawDataModules(ver) / 8) - ECC_PER_BLOCK[ecl][ver] * NUM_BLOCKS[ecl][ver];
  }

  function alignmentPositions(ver, size) {
    if (ver === 1) return [];
    var numAlign = Math.floor(ver / 7) + 2;
    var step = Math.floor((ver * 8 + numAlign * 3 + 5) / (numAlign * 4 - 4)) * 2;
    var result = [6];
    for (var pos = size - 7; result.length < numAlign; pos -= step) result.splice(1, 0, pos);
    return result;
  }

  // --- Reed-Solomon over GF(2^8) with the QR polynomial 0x11D ---
  function gfMul(x, y) {
    var z = 0;
    for (var i = 7; i >= 0; i--) {
      z = (z << 1) ^ ((z >>> 7) * 0x11d);
      z ^= ((y >>> i) & 1) * x;
    }
    return z & 0xff;
  }

  function rsDivisor(degree) {
    var result = [];
    for (var i = 0; i < degree - 1; i++) result.push(0);
    result.push(1);
    var root = 1;
    for (var k = 0; k < degree; k++) {
      for (var j = 0; j < result.length; j++) {
        result[j] = gfMul(result[j], root);
        if (j + 1 < result.length) result[j] ^= result[j + 1];
      }
      root = gfMul(root, 0x02);
    }
    return result;
  }

  function rsRemainder(data, divisor) {
    var result = divisor.map(function () { return 0; });
    data.forEach(function (b) {
      var factor = b ^ result.shift();
      result.push(0);
      divisor.forEach(function (coef, i) { result[i] ^= gfMul(coef, factor); });
    });
    return result;
  }

  function addEccAndInterleave(data, ver, ecl) {
    var numBlocks = NUM_BLOCKS[ecl][ver];
    var eccLen = ECC_PER_BLOCK[ecl][ver];
    var rawCodewords = Math.floor(rawDataModules(ver) / 8);
    var numShort = numBlocks - (rawCodewords % numBlocks);
    var shortLen = Math.floor(rawCodewords / numBlocks);
    var divisor = rsDivisor(eccLen);
    var blocks = [];
    for (var i = 0, k = 0; i < numBlocks; i++) {
      var dat = data.slice(k, k + shortLen - eccLen + (i < numShort ? 0 : 1));
      k += dat.length;
      var ecc = rsRemainder(dat, divisor);
      if (i < numShort) dat.push(0); // placeholder so all blocks have equal length
      blocks.push(dat.concat(ecc));
    }
    var result = [];
    for (var c = 0; c < blocks[0].length; c++) {
      for (var b = 0; b < blocks.length; b++) {
        if (c !== shortLen - eccLen || b >= numShort) result.push(blocks[b][c]);
      }
    }
    return result;
  }

  function encodeData(bytes, ver, ecl) {
    var bits = [];
    function append(value, len) {
      for (var i = len - 1; i >= 0; i--) bits.push((value >>> i) & 1);
    }
    append(0x4, 4); // byte mode
    append(bytes.length, ver <= 9 ? 8 : 16);
    bytes.forEach(function (b) { append(b, 8); });
    var capacity = dataCodewords(ver, ecl) * 8;
    append(0, Math.min(4, capacity - bits.length)); // terminator
    append(0, (8 - (bits.length % 8)) % 8);
    for (var pad = 0xec; bits.length < capacity; pad ^= 0xec ^ 0x11) append(pad, 8);
    var codewords = [];
    for (var j = 0; j < bits.length; j += 8) {
      var byte = 0;
      for (var m = 0; m < 8; m++) byte = (byte << 1) | bits[j + m];
      codewords.push(byte);
    }
    return codewords;
  }

  function Matrix(ver) {
    this.size = ver * 4 + 17;
    this.modules = [];
    this.isFunction = [];
    for (var y = 0; y < this.size; y++) {
      this.modules.push(new Array(this.size).fill(false));
      this.isFunction.push(new Array(this.size).fill(false));
    }
  }
  Matrix.prototype.setFunction = function (x, y, dark) {
    this.modules[y][x] = dark;
    this.isFunction[y][x] = true;
  };

  function drawFunctionPatterns(m, ver, ecl) {
    var size = m.size;
    for (var i = 0; i < size; i++) {
      m.setFunction(6, i, i % 2 === 0);
      m.setFunction(i, 6, i % 2 === 0);
    }
    [[3, 3], [size - 4, 3], [3, size - 4]].forEach(function (c) {
      for (var dy = -4; dy <= 4; dy++) {
        for (var dx = -4; dx <= 4; dx++) {
          var dist = Math.max(Math.abs(dx), Math.abs(dy));
          var xx = c[0] + dx, yy = c[1] + dy;
          if (xx >= 0 && xx < size && yy >= 0 && yy < size) m.setFunction(xx, yy, dist !== 2 && dist !== 4);
        }
      }
    });
    var pos = alignmentPositions(ver, size);
    var n = pos.length;
    for (var a = 0; a < n; a++) {
      for (var b = 0; b < n; b++) {
        if ((a === 0 && b === 0) || (a === 0 && b === n - 1) || (a === n - 1 && b === 0)) continue;
        for (var ay = -2; ay <= 2; ay++) {
          for (var ax = -2; ax <= 2; ax++) {
            m.setFunction(pos[a] + ax, pos[b] + ay, Math.max(Math.abs(ax), Math.abs(ay)) !== 1);
          }
        }
      }
    }
    drawFormatBits(m, ecl, 0); // reserve; redrawn with the real mask later
    if (ver >= 7) {
      var rem = ver;
      for (var r = 0; r < 12; r++) rem = (rem << 1) ^ ((rem >>> 11) * 0x1f25);
      var bits = (ver << 12) | rem;
      for (var k = 0; k < 18; k++) {
        var bit = ((bits >>> k) & 1) !== 0;
        var p = size - 11 + (k % 3), q = Math.floor(k / 3);
        m.setFunction(p, q, bit);
        m.setFunction(q, p, bit);
      }
    }
  }

  function drawFormatBits(m, ecl, mask) {
    var data = (FORMAT_BITS[ecl] << 3) | mask;
    var rem = data;
    for (var i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >>> 9) * 0x537);
    var bits = ((data << 10) | rem) ^ 0x5412;
    var size = m.size;
    function bit(k) { return ((bits >>> k) & 1) !== 0; }
    for (var a = 0; a <= 5; a++) m.setFunction(8, a, bit(a));
    m.setFunction(8, 7, bit(6));
    m.setFunction(8, 8, bit(7));
    m.setFunction(7, 8, bit(8));
    for (var b = 9; b < 15; b++) m.setFunction(14 - b, 8, bit(b));
    for (var c = 0; c < 8; c++) m.setFunction(size - 1 - c, 8, bit(c));
    for (var d = 8; d < 15; d++) m.setFunction(8, size - 15 + d, bit(d));
    m.setFunction(8, size - 8, true); // the dark module
  }

  function drawCodewords(m, codewords) {
    var size = m.size, i = 0, total = codewords.length * 8;
    for (var right = size - 1; right >= 1; right -= 2) {
      if (right === 6) right = 5; // skip the vertical timing column
      for (var vert = 0; vert < size; vert++) {
        for (var j = 0; j < 2; j++) {
          var x = right - j;
          var upward = ((right + 1) & 2) === 0;
          var y = upward ? size - 1 - vert : vert;
          if (!m.isFunction[y][x] && i < total) {
            m.modules[y][x] = ((codewords[i >>> 3] >>> (7 - (i & 7))) & 1) !== 0;
            i++;
          }
        }
      }
    }
  }

  var MASKS = [
    function (x, y) { return (x + y) % 2 === 0; },
    function (x, y) { return y % 2 === 0; },
    function (x, y) { return x % 3 === 0; },
    function (x, y) { return (x + y) % 3 === 0; },
    function (x, y) { return (Math.floor(x / 3) + Math.floor(y / 2)) % 2 === 0; },
    function (x, y) { return (x * y) % 2 + (x * y) % 3 === 0; },
    function (x, y) { return ((x * y) % 2 + (x * y) % 3) % 2 === 0; },
    function (x, y) { return ((x + y) % 2 + (x * y) % 3) % 2 === 0; }
  ];

  function applyMask(m, mask) {
    var fn = MASKS[mask];
    for (var y = 0; y < m.size; y++) {
      for (var x = 0; x < m.size; x++) {
        if (!m.isFunction[y][x] && fn(x, y)) m.modules[y][x] = !m.modules[y][x];
      }
    }
  }

  // The four penalty rules of ISO/IEC 18004 §7.8.3; only used to pick a mask.
  function penalty(grid) {
    var size = grid.length, score = 0, dark = 0;
    function lines(getter) {
      for (var a = 0; a < size; a++) {
        var run = 1;
        for (var b = 1; b <= size; b++) {
          if (b < size && getter(a, b) === getter(a, b - 1)) { run++; continue; }
          if (run >= 5) score += 3 + (run - 5);
          run = 1;
        }
        for (var s = 0; s + 11 <= size; s++) {
          var pattern = "";
          for (var t = 0; t < 11; t++) pattern += getter(a, s + t) ? "1" : "0";
          if (pattern === "10111010000" || pattern === "00001011101") score += 40;
        }
      }
    }
    lines(function (r, c) { return grid[r][c]; });
    lines(function (c, r) { return grid[r][c]; });
    for (var y = 0; y < size; y++) {
      for (var x = 0; x < size; x++) {
        if (grid[y][x]) dark++;
        if (y + 1 < size && x + 1 < size) {
          var v = grid[y][x];
          if (grid[y][x + 1] === v && grid[y + 1][x] === v && grid[y + 1][x + 1] === v) score += 3;
        }
      }
    }
    var total = size * size;
    score += Math.floor(Math.abs(dark * 20 - total * 10) / total) * 10;
    return score;
  }

  function encode(text, options) {
    options = options || {};
    var ecl = options.ecl || "M";
    if (!(ecl in FORMAT_BITS)) throw new Error("unknown error-correction level " + ecl);
    var bytes = utf8Bytes(String(text));
    var ver;
    for (ver = 1; ver <= 40; ver++) {
      var needed = 4 + (ver <= 9 ? 8 : 16) + bytes.length * 8;
      if (needed <= dataCodewords(ver, ecl) * 8) break;
    }
    if (ver > 40) throw new Error("data too long for a QR code");
    var codewords = addEccAndInterleave(encodeData(bytes, ver, ecl), ver, ecl);
    var base = new Matrix(ver);
    drawFunctionPatterns(base, ver, ecl);
    drawCodewords(base, codewords);

    var masks = options.mask === undefined ? [0, 1, 2, 3, 4, 5, 6, 7] : [options.mask];
    var best = null;
    masks.forEach(function (mask) {
      var m = new Matrix(ver);
      m.modules = base.modules.map(function (row) { return row.slice(); });
      m.isFunction = base.isFunction;
      applyMask(m, mask);
      drawFormatBits(m, ecl, mask);
      var score = masks.length > 1 ? penalty(m.modules) : 0;
      if (best === null || score < best.score) best = { score: score, mask: mask, modules: m.modules };
    });
    return { version: ver, size: base.size, mask: best.mask, modules: best.modules };
  }

  function toSvg(text, options) {
    options = options || {};
    var qr = encode(text, { ecl: options.ecl || "M" });
    var border = options.border === undefined ? 4 : options.border;
    var dim = qr.size + border * 2;
    var path = [];
    for (var y = 0; y < qr.size; y++) {
      for (var x = 0; x < qr.size; x++) {
        if (qr.modules[y][x]) path.push("M" + (x + border) + "," + (y + border) + "h1v1h-1z");
      }
    }
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 " + dim + " " + dim);
    svg.setAttribute("shape-rendering", "crispEdges");
    svg.setAttribute("role", "img");
    if (options.title) svg.setAttribute("aria-label", options.title);
    var bg = document.createElementNS(ns, "rect");
    bg.setAttribute("width", "100%");
    bg.setAttribute("height", "100%");
    bg.setAttribute("fill", "#fff");
    var fg = document.createElementNS(ns, "path");
    fg.setAttribute("d", path.join(""));
    fg.setAttribute("fill", "#000");
    svg.appendChild(bg);
    svg.appendChild(fg);
    return svg;
  }

  var api = { encode: encode, toSvg: toSvg };
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  else global.OcopQR = api;
})(typeof window !== "undefined" ? window : this);
