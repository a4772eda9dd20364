// The console's script, inlined into the page and allowed by its hash. Everything shown is
// built with DOM calls (never innerHTML): messages and URLs come from whatever was sent.
(() => {
  const $ = (selector) => document.querySelector(selector);
  let selected;
  let last = '';

  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (key.startsWith('data-') || key.startsWith('aria-')) node.setAttribute(key, value);
      else node[key] = value;
    }
    node.append(...children.filter((child) => child !== undefined && child !== null));
    return node;
  }

  const time = (value) => (value ? new Date(value).toLocaleTimeString() : '');
  const response = (answer) =>
    answer
      ? `${answer.status === 0 ? 'no answer' : answer.status} ${answer.body ?? ''}`.trim()
      : '';

  function renderStats(stats) {
    const item = (name, value) =>
      el('div', {}, el('dt', { textContent: name }), el('dd', { textContent: value }));
    $('#stats').replaceChildren(
      item('Postgres', `${stats.postgres.requests} requests · ${stats.postgres.queries} queries`),
      item('Redis', `${stats.redis.requests} requests · ${stats.redis.commands} commands`),
    );
  }

  function renderMailList(mail) {
    if (!mail.some((message) => message.id === selected)) selected = mail[0]?.id;
    $('#mail-list').replaceChildren(
      ...mail.map((message) =>
        el(
          'li',
          {},
          el(
            'button',
            {
              type: 'button',
              'data-id': message.id,
              'aria-current': String(message.id === selected),
              onclick: () => {
                selected = message.id;
                render(JSON.parse(last), true);
              },
            },
            el('strong', { textContent: message.subject }),
            el('small', {
              textContent: `to ${message.to.join(', ')} · ${time(message.created_at)}`,
            }),
          ),
        ),
      ),
    );
  }

  function renderMailView(mail) {
    const message = mail.find((candidate) => candidate.id === selected);
    const view = $('#mail-view');
    if (!message) {
      delete view.dataset.id;
      view.replaceChildren(el('p', { className: 'empty', textContent: 'No e-mail yet.' }));
      return;
    }
    if (view.dataset.id === message.id) return;
    view.dataset.id = message.id;
    const meta = `From ${message.from} to ${message.to.join(', ')} · ${new Date(message.created_at).toLocaleString()}`;
    const body = message.html
      ? el('iframe', {
          title: `E-mail: ${message.subject}`,
          src: `/mail/${encodeURIComponent(message.id)}`,
          sandbox: 'allow-popups allow-popups-to-escape-sandbox',
          referrerPolicy: 'no-referrer',
        })
      : el('pre', { textContent: message.text ?? '' });
    view.replaceChildren(
      el('h3', { textContent: message.subject }),
      el('span', { className: 'meta', textContent: meta }),
      body,
    );
  }

  async function act(dlqId, action) {
    const answer = await fetch(`/api/dlq/${encodeURIComponent(dlqId)}/${action}`, {
      method: 'POST',
    });
    $('#status').textContent = answer.ok
      ? `${action}: done`
      : `${action} failed (${answer.status})`;
    await refresh();
  }

  function rows(selector, items, row, empty) {
    const body = $(`${selector} tbody`);
    const cells = items.map(row);
    if (cells.length === 0) {
      cells.push(el('tr', {}, el('td', { colSpan: 5, className: 'empty', textContent: empty })));
    }
    body.replaceChildren(...cells);
  }

  function renderQStash({ messages, dlq, schedules }) {
    rows(
      '#dlq',
      dlq,
      (entry) =>
        el(
          'tr',
          { 'data-dlq-id': entry.dlqId },
          el('td', { textContent: entry.dlqId }),
          el('td', { className: 'url', textContent: `${entry.method} ${entry.url}` }),
          el('td', { textContent: String(entry.retried + 1) }),
          el('td', { textContent: `${entry.responseStatus} ${entry.responseBody ?? ''}` }),
          el(
            'td',
            {},
            el('button', {
              type: 'button',
              textContent: 'Retry',
              onclick: () => act(entry.dlqId, 'retry'),
            }),
            ' ',
            el('button', {
              type: 'button',
              textContent: 'Delete',
              onclick: () => act(entry.dlqId, 'delete'),
            }),
          ),
        ),
      'The dead letter queue is empty.',
    );
    rows(
      '#messages',
      messages.toSorted((a, b) => b.createdAt - a.createdAt),
      (message) =>
        el(
          'tr',
          { 'data-message-id': message.messageId },
          el('td', { className: `state-${message.state}`, textContent: message.state }),
          el('td', { className: 'url', textContent: `${message.method} ${message.url}` }),
          el('td', {
            textContent: `${message.retried + (message.lastResponse ? 1 : 0)} of ${message.maxRetries + 1}`,
          }),
          el('td', { textContent: time(message.createdAt) }),
          el('td', { textContent: response(message.lastResponse) }),
        ),
      'No messages.',
    );
    rows(
      '#schedules',
      schedules,
      (schedule) =>
        el(
          'tr',
          {},
          el('td', { textContent: schedule.scheduleId }),
          el('td', { textContent: schedule.cron }),
          el('td', { className: 'url', textContent: schedule.destination }),
          el('td', { textContent: schedule.isPaused ? 'paused' : time(schedule.nextScheduleTime) }),
        ),
      'No schedules.',
    );
  }

  function render(state, force = false) {
    renderStats(state.stats);
    renderMailList(state.mail);
    renderMailView(state.mail);
    if (force) return;
    renderQStash(state.qstash);
  }

  async function refresh() {
    try {
      const answer = await fetch('/api/state');
      if (!answer.ok) throw new Error(`state answered ${answer.status}`);
      const text = await answer.text();
      $('#status').textContent = `updated ${new Date().toLocaleTimeString()}`;
      if (text === last) return;
      last = text;
      render(JSON.parse(text));
    } catch (error) {
      $('#status').textContent = `offline: ${error.message}`;
    }
  }

  refresh();
  setInterval(refresh, 1000);
})();
