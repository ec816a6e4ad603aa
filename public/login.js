// Login form: video requests reach the agent as browser notifications, and browsers ask for that
// permission only on a user gesture, so it is asked here, on Log in. The form is sent whatever the answer.
(function () {
  'use strict';
  const form = document.querySelector('form[action="/login"]');
  if (!form || !('Notification' in window) || Notification.permission !== 'default') return;
  form.addEventListener('submit', (event) => {
    if (Notification.permission !== 'default') return;
    event.preventDefault();
    const send = () => form.submit();
    const asked = Notification.requestPermission().catch((err) => console.warn('notification permission failed', err));
    // A prompt left unanswered does not hold the login up.
    Promise.race([asked, new Promise((resolve) => setTimeout(resolve, 5000))]).then(send);
  }, { once: true });
})();
