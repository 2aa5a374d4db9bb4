// The instructor page's script (examples/instructor.html): starts the playgrounds, gives the
// iframe this page's origin, sizes the iframe, and records what the students did.
import init from './offset-lab-web.js';

init();

// The iframe reports its progress to the origin its link names: this page's.
for (const frame of document.querySelectorAll('iframe.offset-lab[data-src]')) {
  frame.src = `${frame.dataset.src}&progress=${encodeURIComponent(window.location.origin)}`;
}

const log = document.getElementById('progress-log');
/** Everything recorded, for the learning platform (and the tests). */
window.offsetLabProgress = [];

window.addEventListener('message', (event) => {
  // Only this page's own playgrounds and iframes: same origin (README, "Progress events").
  if (event.origin !== window.location.origin) return;
  const data = event.data;
  if (!data || typeof data !== 'object') return;
  if (data.type === 'offset-lab:height') {
    const height = Math.min(4000, Math.max(200, Math.ceil(Number(data.height) || 0)));
    for (const frame of document.querySelectorAll('iframe.offset-lab')) {
      if (frame.contentWindow === event.source) frame.style.height = `${height}px`;
    }
    return;
  }
  if (data.type !== 'offset-lab:progress' || data.version !== 1) return;
  const from = event.source === window ? `playground ${data.playground}` : 'iframe';
  window.offsetLabProgress.push({ ...data, from });
  const item = document.createElement('li');
  const what = {
    'step-opened': () => `opened ${data.step}: ${data.title}`,
    prediction: () => `predicted “${data.answer}” for ${data.step}`,
    'prediction-revealed': () => `${data.step}: the prediction was ${data.right ? 'right' : 'wrong'}`,
    'run-finished': () => `played ${data.scenario} to the end: ${data.lost} lost, ${data.duplicated} duplicated`,
    'criterion-ticked': () => `met “${data.text}”`,
  }[data.event];
  item.textContent = `${from}: ${what ? what() : data.event}`;
  log.append(item);
});
