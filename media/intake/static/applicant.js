// The applicant page: check the link, preview the camera, wait in the queue, then a two-way
// WebRTC call with the reviewer. The offer is sent after ICE gathering completes (the console
// side, aiortc, does not trickle). A dropped connection is retried with the same link.
"use strict";

const TEXT = {
  en: {
    title: "Video review",
    checking: "Checking your link…",
    valid: "Your link is valid. Check the tips, then join the queue.",
    unknown: "This link is not valid. Please check the link in your message.",
    used: "This application has already been reviewed; the link cannot be used again.",
    expired: "The 48-hour window for the video review has passed. The bank will contact you by phone.",
    outside_hours: "Video reviews run from 08:00 to 24:00. Please come back at {time}.",
    already_connected: "This link is already open on another page or device. Close it there first.",
    deadline: "Please complete the review before {time}.",
    camera_needed: "Please allow the camera and microphone to continue ({error}).",
    tip_light: "Find a place with enough light.",
    tip_face: "Keep your whole face uncovered: no mask, no sunglasses.",
    tip_hat: "Take off your hat.",
    tip_alone: "Be on your own, in a quiet place.",
    join: "Join the queue",
    later: "Verify later",
    leave: "Leave the queue",
    joining: "Joining the queue…",
    waiting: "Please wait: a reviewer will be with you soon. Keep this page open.",
    position: "You are number {position} in the queue. Expected wait: about {minutes} min.",
    taken: "A reviewer is connecting…",
    in_call: "You are talking with the reviewer.",
    reconnecting: "The connection dropped. Reconnecting…",
    left: "You left the queue. You can open this link again before the deadline.",
    later_done: "Fine: open this link again later, before {time}.",
    ended_hang_up: "The video review has ended. Thank you.",
    ended_connection_failed: "The connection could not be restored. Please open this link again to retry.",
    error: "Something went wrong: {message}",
    lost: "The connection to the service was lost. Please reload the page.",
    consent_heading: "Before we start",
    consent_needed: "Please read this and agree before your camera starts.",
    consent_continue: "Agree and continue",
    challenge_heading: "Please do this now:",
    challenge_turn_left: "Turn your head to your left",
    challenge_turn_right: "Turn your head to your right",
    challenge_blink_twice: "Blink twice",
    challenge_open_mouth: "Open your mouth wide and hold it",
    challenge_countdown: "{seconds} s left",
    challenge_passed: "Done, thank you.",
    challenge_failed: "That was not seen in time. The reviewer may ask you again.",
  },
  zh: {
    title: "视频审核",
    checking: "正在检查您的链接…",
    valid: "链接有效。请先查看提示，然后加入排队。",
    unknown: "此链接无效，请检查短信中的链接。",
    used: "此申请已完成审核，链接不能再次使用。",
    expired: "视频审核的48小时期限已过，银行将通过电话与您联系。",
    outside_hours: "视频审核时间为08:00至24:00，请于{time}再来。",
    already_connected: "此链接已在其他页面或设备上打开，请先关闭那里。",
    deadline: "请在{time}之前完成审核。",
    camera_needed: "请允许使用摄像头和麦克风以继续（{error}）。",
    tip_light: "请在光线充足的地方。",
    tip_face: "请露出完整面部：不要戴口罩或墨镜。",
    tip_hat: "请摘下帽子。",
    tip_alone: "请独自一人，在安静的地方。",
    join: "加入排队",
    later: "稍后验证",
    leave: "离开排队",
    joining: "正在加入排队…",
    waiting: "请稍候，审核员将很快与您连线。请不要关闭此页面。",
    position: "您排在第{position}位，预计等待约{minutes}分钟。",
    taken: "审核员正在接通…",
    in_call: "您正在与审核员通话。",
    reconnecting: "连接中断，正在重新连接…",
    left: "您已离开排队。截止时间前可再次打开此链接。",
    later_done: "好的，请在{time}之前再次打开此链接。",
    ended_hang_up: "视频审核已结束，谢谢。",
    ended_connection_failed: "连接未能恢复，请重新打开此链接重试。",
    error: "出错了：{message}",
    lost: "与服务的连接已断开，请刷新页面。",
    consent_heading: "开始之前",
    consent_needed: "请阅读以下内容并同意后，摄像头才会开启。",
    consent_continue: "同意并继续",
    challenge_heading: "请现在完成以下动作：",
    challenge_turn_left: "请向您的左侧转头",
    challenge_turn_right: "请向您的右侧转头",
    challenge_blink_twice: "请眨眼两次",
    challenge_open_mouth: "请张大嘴巴并保持",
    challenge_countdown: "剩余{seconds}秒",
    challenge_passed: "完成，谢谢。",
    challenge_failed: "未能及时识别到该动作，审核员可能会请您再做一次。",
  },
};

const languages = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || "en"];
const LANG = String(languages[0]).toLowerCase().startsWith("zh") ? "zh" : "en";
document.documentElement.lang = LANG === "zh" ? "zh-CN" : "en";

function t(key, values) {
  let text = TEXT[LANG][key] || TEXT.en[key] || key;
  for (const [name, value] of Object.entries(values || {})) text = text.replace("{" + name + "}", value);
  return text;
}

function $(id) { return document.getElementById(id); }

function show(id, visible) { $(id).hidden = !visible; }

function say(key, values, tone) {
  const status = $("status");
  status.textContent = t(key, values);
  status.className = "status" + (tone ? " " + tone : "");
}

function localTime(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleString(LANG === "zh" ? "zh-CN" : "en", { dateStyle: "medium", timeStyle: "short" });
}

function readToken() {
  const fromHash = new URLSearchParams(location.hash.replace(/^#/, "")).get("t");
  const fromPath = location.pathname.match(/^\/a\/([^/]+)$/);
  return fromHash || (fromPath && decodeURIComponent(fromPath[1])) || new URLSearchParams(location.search).get("t") || "";
}

const state = {
  token: readToken(),
  stream: null,
  ws: null,
  pc: null,
  deadline: null,
  joined: false,
  consent: null, // what the applicant agreed to: sent with every join
  inCall: false,
  finished: false,
  retries: 0,
  challenge: null, // the liveness challenge on screen: { kind, state, deadline }
};

for (const element of document.querySelectorAll("[data-i18n]")) element.textContent = t(element.dataset.i18n);
document.title = t("title");

async function checkLink() {
  if (!state.token) return say("unknown", {}, "bad");
  let body;
  try {
    const response = await fetch("/api/applicant/status?t=" + encodeURIComponent(state.token), { cache: "no-store" });
    body = await response.json();
  } catch (error) {
    return say("lost", {}, "bad");
  }
  if (body.status !== "valid") {
    const key = body.error === "unknown_token" ? "unknown" : body.status;
    return say(key in TEXT.en ? key : "error", { time: localTime(body.next_opening), message: body.message }, "bad");
  }
  state.deadline = body.deadline;
  if (body.reconnect) {
    // A reload during the call: go straight back to the reviewer (a new leg).
    state.joined = true;
    state.inCall = true;
    await startCamera();
    return connect();
  }
  if (body.consent) await askConsent(body.consent);
  say("valid", {}, "good");
  await startCamera();
  show("tips", true);
  show("join", true);
  show("later", true);
}

// The camera starts only after the applicant agrees; the service refuses a join without it.
function askConsent(consent) {
  say("consent_needed", {}, "good");
  $("consent-text").textContent = consent.text[LANG];
  $("consent-agree-label").textContent = consent.agree[LANG];
  show("consent", true);
  $("consent-agree").addEventListener("change", () => { $("consent-continue").disabled = !$("consent-agree").checked; });
  return new Promise((resolve) => {
    $("consent-continue").addEventListener("click", () => {
      if (!$("consent-agree").checked) return;
      state.consent = { agreed: true, version: consent.version, language: LANG };
      show("consent", false);
      resolve();
    });
  });
}

async function startCamera() {
  if (state.stream) return;
  try {
    state.stream = await navigator.mediaDevices.getUserMedia({
      video: { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 30 }, facingMode: "user" },
      audio: { echoCancellation: true, noiseSuppression: true },
    });
    $("preview").srcObject = state.stream;
    show("stage", true);
  } catch (error) {
    say("camera_needed", { error: error.name || String(error) }, "bad");
    throw error;
  }
}

function send(message) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(message));
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  const ws = new WebSocket(scheme + location.host + "/ws/applicant?t=" + encodeURIComponent(state.token));
  state.ws = ws;
  ws.onopen = () => { if (!state.inCall) send({ type: "join", consent: state.consent }); };
  ws.onmessage = (event) => onMessage(JSON.parse(event.data));
  ws.onclose = () => {
    if (state.ws !== ws) return;
    state.ws = null;
    if (state.finished) return;
    if (state.joined && state.retries < 15) {
      // Same link, new connection: within the grace period the console continues the session.
      state.retries += 1;
      say("reconnecting", {}, "bad");
      closePeer();
      setTimeout(connect, 1500);
    } else if (!state.finished) {
      say("lost", {}, "bad");
    }
  };
}

async function onMessage(message) {
  switch (message.type) {
    case "status":
      if (message.status !== "valid") {
        state.finished = true;
        say(message.status, { time: localTime(message.next_opening) }, "bad");
      }
      break;
    case "queued":
      state.joined = true;
      show("join", false);
      show("leave", true);
      show("queue", true);
      say("waiting", {}, "good");
      $("queue").textContent = t("position", {
        position: message.position,
        minutes: Math.max(1, Math.round(message.expected_wait_seconds / 60)),
      });
      break;
    case "taken":
      state.joined = true;
      state.inCall = true;
      show("join", false); show("later", false); show("leave", false); show("queue", false); show("tips", false);
      say(message.reconnect ? "reconnecting" : "taken", {}, "good");
      // STUN/TURN for this session, with TURN credentials of its own (the intake's settings).
      state.ice = message.ice || { iceServers: [] };
      await startCall();
      break;
    case "answer":
      if (state.pc) {
        await state.pc.setRemoteDescription({ type: "answer", sdp: message.sdp });
        state.retries = 0;
        say("in_call", {}, "good");
      }
      break;
    case "challenge":
      showChallenge(message);
      break;
    case "left":
      state.finished = true;
      say(message.verify_later ? "later_done" : "left", { time: localTime(state.deadline) }, "good");
      stopAll();
      break;
    case "ended":
      state.finished = true;
      say(message.reason === "connection_failed" ? "ended_connection_failed" : "ended_hang_up", {}, "good");
      stopAll();
      break;
    case "error":
      if (message.error === "already_connected") {
        say("already_connected", {}, "bad");
      } else {
        say("error", { message: message.message }, "bad");
      }
      break;
    default:
      break;
  }
}

// A liveness challenge from the reviewer's side: what to do, and the seconds left to do it. The
// console's face check judges it; the page only shows it (and the outcome the console sends).
const CHALLENGES = ["turn_left", "turn_right", "blink_twice", "open_mouth"];
let challengeTimer = null;

function showChallenge(message) {
  if (!CHALLENGES.includes(message.kind)) return;
  clearInterval(challengeTimer);
  challengeTimer = null;
  const box = $("challenge");
  $("challenge-text").textContent = t("challenge_" + message.kind);
  if (message.state === "asked") {
    const seconds = Math.min(120, Math.max(1, Number(message.seconds) || 5));
    state.challenge = { kind: message.kind, state: "asked", deadline: Date.now() + seconds * 1000 };
    box.className = "challenge";
    $("challenge-heading").hidden = false;
    const tick = () => {
      const left = Math.max(0, Math.ceil((state.challenge.deadline - Date.now()) / 1000));
      $("challenge-countdown").textContent = t("challenge_countdown", { seconds: left });
      if (left === 0) clearInterval(challengeTimer);
    };
    tick();
    challengeTimer = setInterval(tick, 250);
  } else if (message.state === "passed" || message.state === "failed") {
    state.challenge = { kind: message.kind, state: message.state, deadline: null };
    box.className = "challenge " + message.state;
    $("challenge-heading").hidden = true;
    $("challenge-countdown").textContent = t("challenge_" + message.state);
    const shown = state.challenge;
    setTimeout(() => { if (state.challenge === shown) hideChallenge(); }, 8000);
  } else {
    return;
  }
  box.hidden = false;
}

function hideChallenge() {
  clearInterval(challengeTimer);
  challengeTimer = null;
  show("challenge", false);
}

function waitForIceGathering(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const check = () => {
      if (pc.iceGatheringState === "complete") {
        pc.removeEventListener("icegatheringstatechange", check);
        resolve();
      }
    };
    pc.addEventListener("icegatheringstatechange", check);
    setTimeout(resolve, 5000); // send what we have rather than wait forever
  });
}

async function startCall() {
  closePeer();
  const ice = state.ice || { iceServers: [] };
  const pc = new RTCPeerConnection({
    iceServers: ice.iceServers || [],
    iceTransportPolicy: ice.iceTransportPolicy === "relay" ? "relay" : "all",
  });
  state.pc = pc;
  for (const track of state.stream.getTracks()) pc.addTrack(track, state.stream);
  pc.ontrack = (event) => {
    if (event.track.kind === "audio") $("reviewer-audio").srcObject = new MediaStream([event.track]);
    if (event.track.kind === "video") {
      // The reviewer's camera is optional: show it only once frames arrive.
      const reviewer = $("reviewer-video");
      reviewer.srcObject = new MediaStream([event.track]);
      event.track.onunmute = () => show("reviewer-video", true);
      event.track.onmute = () => show("reviewer-video", false);
    }
  };
  pc.onconnectionstatechange = () => {
    if (pc !== state.pc) return;
    if (pc.connectionState === "failed") {
      // Media dropped while signalling is up: start a new leg over the same link.
      say("reconnecting", {}, "bad");
      startCall();
    }
  };
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  await waitForIceGathering(pc);
  if (pc === state.pc) send({ type: "offer", sdp: pc.localDescription.sdp });
}

function closePeer() {
  if (state.pc) {
    const pc = state.pc;
    state.pc = null;
    pc.close();
  }
}

function stopAll() {
  closePeer();
  hideChallenge();
  show("join", false); show("later", false); show("leave", false); show("queue", false);
  if (state.stream) for (const track of state.stream.getTracks()) track.stop();
  if (state.ws) state.ws.close();
}

$("join").addEventListener("click", () => {
  $("join").disabled = true;
  say("joining", {}, "good");
  connect();
});

$("later").addEventListener("click", () => {
  if (state.ws) {
    send({ type: "leave", verify_later: true });
  } else {
    state.finished = true;
    say("later_done", { time: localTime(state.deadline) }, "good");
    stopAll();
  }
});

$("leave").addEventListener("click", () => send({ type: "leave", verify_later: false }));

// Exposed for tests and support staff: what the page is doing.
window.applicantState = state;

checkLink().catch(() => {});
