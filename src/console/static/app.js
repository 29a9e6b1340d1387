// The tango-sync console: reads /console/api/* and /backfills every few seconds and renders them; actions send the
// operator token (kept in this tab's sessionStorage only). No build step, no framework; uPlot draws the charts.
//
// Strict mode, and everything inside one block: its constants and function declarations are block-scoped, so
// nothing leaks onto `window` (what the former wrapping function was for) and each function stays small.
'use strict';

{
  const REFRESH_MS = 5000;
  const TOKEN_KEY = 'tango-sync-console-token';
  /** The charts' names, in the order they are drawn. */
  const CHART_NAMES = ['deliveries', 'fetched', 'requests', 'changes'];
  const CHART_HEIGHT = 180;
  const charts = {};
  const state = { actionsEnabled: false };

  // ---- DOM and formatting helpers

  function $(selector) {
    return document.querySelector(selector);
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === 'text') {
        node.textContent = attrs[key];
      } else if (key === 'class') {
        node.className = attrs[key];
      } else if (key.indexOf('on') === 0) {
        node.addEventListener(key.slice(2), attrs[key]);
      } else {
        node.setAttribute(key, attrs[key]);
      }
    });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return node;
  }

  function token() {
    return sessionStorage.getItem(TOKEN_KEY) || '';
  }

  function say(text, isError) {
    var node = $('#message');
    node.textContent = text;
    node.className = 'message' + (isError ? ' error' : '');
  }

  function ago(iso) {
    if (!iso) {
      return 'never';
    }
    return duration((Date.now() - Date.parse(iso)) / 1000) + ' ago';
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) {
      return '–';
    }
    var s = Math.max(0, Math.round(seconds));
    if (s < 90) return s + ' s';
    if (s < 5400) return Math.round(s / 60) + ' min';
    if (s < 172800) return Math.round(s / 3600) + ' h';
    return Math.round(s / 86400) + ' d';
  }

  function number(value) {
    return value === null || value === undefined ? '–' : Number(value).toLocaleString('en-US');
  }

  /** A count, followed by the age of the oldest item in parentheses when there is one. */
  function countWithAge(count, oldestAgeSeconds) {
    return number(count) + (oldestAgeSeconds ? ' (' + duration(oldestAgeSeconds) + ')' : '');
  }

  function badge(status) {
    return el('span', { class: 'badge ' + status, text: status });
  }

  function rows(table, items, render, emptyText) {
    var body = $(table + ' tbody');
    body.textContent = '';
    if (items.length === 0) {
      var columns = $(table + ' thead tr').children.length;
      body.appendChild(
        el('tr', { class: 'empty' }, [el('td', { colspan: String(columns), text: emptyText })]),
      );
      return;
    }
    items.forEach(function (item) {
      body.appendChild(render(item));
    });
  }

  function cells(values) {
    return values.map(function (value) {
      if (value instanceof Node) {
        return el('td', {}, [value]);
      }
      if (value && typeof value === 'object') {
        return el('td', { class: value.class || '', text: value.text });
      }
      return el('td', { text: value === null || value === undefined ? '–' : String(value) });
    });
  }

  // ---- Talking to the worker

  async function request(path, options) {
    var init = Object.assign({ headers: {} }, options || {});
    if (init.body !== undefined) {
      init.headers['content-type'] = 'application/json';
    }
    if (init.method && init.method !== 'GET' && token()) {
      init.headers.authorization = 'Bearer ' + token();
    }
    var response = await fetch(path, init);
    var body =
      response.status === 204
        ? null
        : await response.json().catch(function () {
            return null;
          });
    if (!response.ok) {
      var reason = (body && (body.message || (body.error && body.error.message))) || response.statusText;
      throw new Error(response.status + ': ' + reason);
    }
    return body;
  }

  /** Runs an operator action from `button`: says what happens, then refreshes (fresh) on success. */
  function action(button, label, work) {
    button.disabled = true;
    say(label + '…');
    return work()
      .then(function (text) {
        say(text);
        return refresh(true);
      })
      .catch(function (error) {
        say(label + ' refused: ' + error.message, true);
      })
      .finally(function () {
        button.disabled = false;
      });
  }

  /** A button for an operator action, enabled only when actions are. */
  function actionButton(testId, text, label, work) {
    var button = el('button', { type: 'button', class: 'action', 'data-testid': testId, text: text });
    button.disabled = !state.actionsEnabled;
    button.addEventListener('click', function () {
      action(button, label, work);
    });
    return button;
  }

  // ---- Summary and families

  function summaryCards(overview) {
    var quota = overview.quota;
    return [
      [
        'Change events pending',
        countWithAge(overview.changeEvents.pending, overview.changeEvents.oldestAgeSeconds),
      ],
      [
        'Quota used today',
        quota.dailyLimit === null ? 'unknown' : number(quota.dailyUsed) + ' / ' + number(quota.dailyLimit),
      ],
      ['Quota left', quota.dailyRemaining === null ? 'unknown' : number(quota.dailyRemaining)],
      [
        'Burst left',
        quota.burstRemaining === null
          ? 'unknown'
          : number(quota.burstRemaining) + ' / ' + number(quota.burstLimit),
      ],
      ['Sweeps', quota.sweepsPausedReason ? 'paused: ' + quota.sweepsPausedReason : 'running'],
      ['Open gaps', number(overview.gaps.length)],
      [
        'Tango API',
        'live ' + overview.tango.liveVersion + ' · contract ' + overview.tango.contractVersion,
        overview.tango.warning,
      ],
    ];
  }

  function renderSummary(overview) {
    var node = $('#summary');
    node.textContent = '';
    summaryCards(overview).forEach(function (card) {
      // A third entry is a warning: the card is marked and the warning is its tooltip (and in Contract drift).
      var attributes = card[2] ? { class: 'card warning', title: card[2] } : { class: 'card' };
      node.appendChild(
        el('div', attributes, [
          el('div', { class: 'label', text: card[0] }),
          el('div', { class: 'value', text: card[1] + (card[2] ? ' ⚠' : '') }),
        ]),
      );
    });
  }

  function familyRow(family) {
    return el(
      'tr',
      { 'data-family': family.family },
      cells([
        family.family,
        badge(family.status),
        { class: 'num', text: number(family.records) },
        ago(family.lastDeliveryReceivedAt),
        family.lastFetchSucceededAt ? duration(family.freshnessSeconds) + ' ago' : 'never',
        { class: 'num', text: countWithAge(family.backlog.pending, family.backlog.oldestAgeSeconds) },
        { class: 'num', text: number(family.openGaps.length) },
        { class: 'num', text: number(family.deadLetters) },
        { class: 'why', text: family.reasons.join('; ') || '' },
      ]),
    );
  }

  function renderFamilies(overview) {
    rows('#families', overview.families, familyRow, 'no families');
  }

  // ---- Gaps

  function sweepGap(gap) {
    return request('/console/api/gaps/' + encodeURIComponent(gap.id) + '/sweep', {
      method: 'POST',
    }).then(function (outcome) {
      return outcome.closed
        ? 'Gap ' + gap.id + ' swept and closed (' + outcome.records + ' records)'
        : 'Gap ' + gap.id + ' still open: ' + outcome.why;
    });
  }

  function gapRow(gap) {
    var button = actionButton('sweep-' + gap.id, 'Sweep now', 'Sweep of gap ' + gap.id, function () {
      return sweepGap(gap);
    });
    return el(
      'tr',
      { 'data-gap': gap.id },
      cells([
        gap.id,
        gap.resource || 'all',
        gap.cause,
        new Date(gap.rangeStart).toLocaleString() + ' → ' + new Date(gap.rangeEnd).toLocaleString(),
        { class: 'num', text: number(gap.sweepAttempts) },
        gap.lastSweepError || '',
        button,
      ]),
    );
  }

  function renderGaps(overview) {
    rows('#gaps', overview.gaps, gapRow, 'no open gaps');
  }

  // ---- Backfills

  /** Records read and expected, and segments per state, summed over the job's families. */
  function backfillTotals(job) {
    var records = job.progress.reduce(function (sum, family) {
      return sum + family.records;
    }, 0);
    var expected = job.progress.reduce(function (sum, family) {
      return sum + (family.expected || 0);
    }, 0);
    var segments = job.progress.reduce(function (acc, family) {
      Object.keys(family.segments).forEach(function (key) {
        acc[key] = (acc[key] || 0) + family.segments[key];
      });
      return acc;
    }, {});
    return { records: records, expected: expected, segments: segments };
  }

  function segmentsText(segments) {
    return (
      (segments.done || 0) +
      ' done, ' +
      (segments.running || 0) +
      ' running, ' +
      (segments.pending || 0) +
      ' pending' +
      (segments.failed ? ', ' + segments.failed + ' failed' : '')
    );
  }

  /** Pause, resume and cancel, as far as the job's state allows them. */
  function backfillControls(job) {
    var controls = el('span', {});
    [
      ['pause', job.state === 'running'],
      ['resume', job.state === 'paused'],
      ['cancel', job.state === 'running' || job.state === 'paused'],
    ].forEach(function (pair) {
      if (!pair[1]) return;
      var verb = pair[0];
      controls.appendChild(
        actionButton('backfill-' + verb, verb, 'Backfill ' + verb, function () {
          return request('/backfills/' + job.id + '/' + verb, { method: 'POST' }).then(function (after) {
            return 'Backfill ' + job.id.slice(0, 8) + ' is ' + after.state;
          });
        }),
      );
    });
    return controls;
  }

  function backfillRow(job) {
    var totals = backfillTotals(job);
    return el(
      'tr',
      { 'data-job': job.id },
      cells([
        job.id.slice(0, 8),
        job.state,
        job.families.join(', ') + (job.since ? ' since ' + job.since : ''),
        {
          class: 'num',
          text: number(totals.records) + (totals.expected ? ' / ' + number(totals.expected) : ''),
        },
        {
          class: 'num',
          text: job.rate.recordsPerSecond === null ? '–' : number(job.rate.recordsPerSecond) + '/s',
        },
        { class: 'num', text: duration(job.rate.etaSeconds) },
        segmentsText(totals.segments),
        backfillControls(job),
      ]),
    );
  }

  function renderBackfills(overview) {
    rows('#backfills', overview.backfills, backfillRow, 'no backfills');
  }

  // ---- Contract drift

  function driftItems(overview) {
    var items = [];
    overview.families.forEach(function (family) {
      if (family.shape.status !== 'full') {
        items.push(
          family.family +
            ': shape ' +
            family.shape.status +
            (family.shape.dropped.length ? ' (dropped ' + family.shape.dropped.join(', ') + ')' : ''),
        );
      }
      if (family.shape.notMirrored.length) {
        items.push(
          family.family +
            ': mirrors ' +
            number(family.shape.paths.asked) +
            ' of ' +
            number(family.shape.paths.whole) +
            ' paths; not mirrored: ' +
            family.shape.notMirrored.join(', '),
        );
      }
    });
    overview.unknownEventTypes.forEach(function (type) {
      items.push('unknown event type from Tango: ' + type);
    });
    if (overview.tango.warning) {
      items.push(overview.tango.warning);
    }
    return items;
  }

  function renderDrift(overview) {
    var items = driftItems(overview);
    var list = $('#drift');
    list.textContent = '';
    (items.length
      ? items
      : ['none: every family mirrors the whole record, every event type is known']
    ).forEach(function (text) {
      list.appendChild(el('li', { text: text }));
    });
  }

  // ---- Deliveries, rejections, dead letters

  function deliveryRow(d) {
    return el(
      'tr',
      {},
      cells([
        new Date(d.receivedAt).toLocaleTimeString(),
        d.deliveryId || d.id,
        d.status,
        d.eventTypes.join(', '),
        { class: 'num', text: number(d.targets) },
        d.verifiedBy,
      ]),
    );
  }

  function rejectionRow(r) {
    return el(
      'tr',
      {},
      cells([
        new Date(r.occurredAt).toLocaleString(),
        { class: 'num', text: String(r.httpStatus) },
        r.code,
        r.detail || '',
        { class: 'num', text: number(r.bodyBytes) },
      ]),
    );
  }

  function deadLetterRow(d) {
    return el(
      'tr',
      {},
      cells([
        d.family,
        d.recordId,
        d.kind,
        { class: 'num', text: String(d.attempts) },
        d.lastError || '',
        ago(d.deadLetteredAt),
      ]),
    );
  }

  function renderLists(deliveries, rejections, deadLetters) {
    rows('#deliveries', deliveries.deliveries, deliveryRow, 'no deliveries yet');
    rows('#rejections', rejections.rejections, rejectionRow, 'no rejections');
    rows('#dead-letters', deadLetters.deadLetters, deadLetterRow, 'no dead letters');
  }

  // ---- Charts

  /** Per chart: its name (CHART_NAMES), title and series ([label, values, colour]). */
  function chartSpecs(activity) {
    return [
      [CHART_NAMES[0], 'Deliveries received', [['deliveries', activity.deliveries, '#2b6cb0']]],
      [CHART_NAMES[1], 'Records fetched', [['records', activity.recordsFetched, '#1f8a4c']]],
      [
        CHART_NAMES[2],
        'Tango requests and 429s',
        [
          ['requests', activity.tangoRequests, '#6b46c1'],
          ['429s', activity.tangoThrottled, '#c53030'],
        ],
      ],
      [CHART_NAMES[3], 'Changes published', [['changes', activity.changesPublished, '#b7791f']]],
    ];
  }

  function chartWidth(holder) {
    return Math.max(240, holder.clientWidth - 16);
  }

  /** Updates the chart of `spec`, or draws it the first time. */
  function drawChart(container, spec, activity) {
    var data = [activity.at].concat(
      spec[2].map(function (series) {
        return series[1];
      }),
    );
    if (charts[spec[0]]) {
      charts[spec[0]].setData(data);
      return;
    }
    var holder = el('div', { class: 'chart', 'data-testid': 'chart-' + spec[0] });
    container.appendChild(holder);
    charts[spec[0]] = new uPlot(
      {
        title: spec[1],
        width: chartWidth(holder),
        height: CHART_HEIGHT,
        series: [{}].concat(
          spec[2].map(function (series) {
            return { label: series[0], stroke: series[2], width: 1.5 };
          }),
        ),
        axes: [{}, { size: 50 }],
      },
      data,
      holder,
    );
  }

  function renderCharts(activity) {
    if (typeof uPlot === 'undefined') {
      return;
    }
    var container = $('#charts');
    chartSpecs(activity).forEach(function (spec) {
      drawChart(container, spec, activity);
    });
  }

  function resizeCharts() {
    document.querySelectorAll('#charts .chart').forEach(function (holder, index) {
      var chart = charts[CHART_NAMES[index]];
      if (chart) chart.setSize({ width: chartWidth(holder), height: CHART_HEIGHT });
    });
  }

  // ---- Actions and the whole page

  // The families come from the worker (its one list of them), not from this page.
  function renderFamilyChoices(overview) {
    var select = $('#backfill-families');
    if (select.children.length) return;
    overview.families.forEach(function (family) {
      select.appendChild(el('option', { value: family.family, text: family.family }));
    });
  }

  function renderActions() {
    var enabled = state.actionsEnabled;
    document.querySelectorAll('button.action').forEach(function (button) {
      button.disabled = !enabled;
    });
    $('#token-state').textContent = !state.configured
      ? 'actions disabled on this worker (no CONSOLE_TOKEN)'
      : token()
        ? 'token set for this tab'
        : 'read-only: enter the operator token to act';
  }

  function renderOverall(overview) {
    var overall = $('#overall');
    overall.textContent = overview.status;
    overall.className = 'badge ' + overview.status;
    $('#generated').textContent = 'as of ' + new Date(overview.generatedAt).toLocaleTimeString();
  }

  /** Everything the page shows: [overview, deliveries, rejections, dead letters, activity]. */
  function readAll(fresh) {
    return Promise.all([
      request('/console/api/overview' + (fresh === true ? '?fresh=true' : '')),
      request('/console/api/deliveries?limit=50'),
      request('/console/api/rejections?limit=20'),
      request('/console/api/dead-letters?limit=50'),
      request('/console/api/activity?hours=6&bucket=300'),
    ]);
  }

  function render(results) {
    var overview = results[0];
    state.configured = overview.actionsEnabled;
    state.actionsEnabled = overview.actionsEnabled && token() !== '';
    renderOverall(overview);
    renderSummary(overview);
    renderFamilies(overview);
    renderGaps(overview);
    renderBackfills(overview);
    renderDrift(overview);
    renderFamilyChoices(overview);
    renderLists(results[1], results[2], results[3]);
    renderCharts(results[4]);
    renderActions();
    document.body.setAttribute('data-loaded', 'true');
  }

  // Fresh after an action or a token change (so its effect shows at once); otherwise a report at most 1 s old.
  async function refresh(fresh) {
    try {
      render(await readAll(fresh));
    } catch (error) {
      say('Could not read the worker: ' + error.message, true);
    }
  }

  function onTokenSubmit(event) {
    event.preventDefault();
    var value = $('#token').value.trim();
    if (value) {
      sessionStorage.setItem(TOKEN_KEY, value);
    } else {
      sessionStorage.removeItem(TOKEN_KEY);
    }
    $('#token').value = '';
    refresh(true);
  }

  function onRedriveClick(event) {
    var button = event.currentTarget;
    action(button, 'Redrive', function () {
      return request('/console/api/redrive', { method: 'POST', body: JSON.stringify({}) }).then(
        function (result) {
          return 'Redrive: ' + result.enqueued + ' record(s) back in the fetch outbox';
        },
      );
    });
  }

  function onBackfillSubmit(event) {
    event.preventDefault();
    var families = Array.prototype.map.call($('#backfill-families').selectedOptions, function (option) {
      return option.value;
    });
    var since = $('#backfill-since').value;
    var button = $('[data-testid="backfill-start"]');
    action(button, 'Backfill start', function () {
      var body = { families: families };
      if (since) body.since = since;
      return request('/backfills', { method: 'POST', body: JSON.stringify(body) }).then(function (job) {
        return 'Backfill ' + job.id.slice(0, 8) + ' started for ' + job.families.join(', ');
      });
    });
  }

  function start() {
    window.addEventListener('resize', resizeCharts);
    $('#token-form').addEventListener('submit', onTokenSubmit);
    $('#redrive').addEventListener('click', onRedriveClick);
    $('#backfill-form').addEventListener('submit', onBackfillSubmit);
    refresh(true);
    setInterval(refresh, REFRESH_MS);
  }

  start();
}
