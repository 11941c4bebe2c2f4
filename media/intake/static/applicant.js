// The applicant page: check the link, preview the camera, wait in the queue, then a two-way
// WebRTC call with the reviewer. The offer is sent after ICE gathering completes (the console
// side, aiortc, does not trickle). A dropped connection is retried with the same link.
// The camera in use (its label and the track's settings) is reported as each leg starts and
// when it changes mid-call (another device, a replaced track): the bank checks it for
// virtual cameras. The applicant may hang up; when the call or the wait ends, the page says
// what happens next instead of leaving a dead video box.
"use strict";

const TEXT = {
  en: {
    title: "Video review",
    checking: "Checking your link…",
    valid: "Your link is valid. Check the tips, then join the queue.",
    unknown: "This link is not valid. Please check the link in your message.",
    used: "This application has already been reviewed; the link cannot be used again.",
    being_checked: "Your video review is done. The bank is checking the decision and will tell you the result.",
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
    hang_up: "Hang up",
    hang_up_confirm: "Tap again to end the call",
    recorded: "● This video call is recorded",
    tip_recorded: "The video call with the reviewer is recorded for the bank's records.",
    joining: "Joining the queue…",
    waiting: "Please wait: a reviewer will be with you soon. Keep this page open.",
    position: "You are number {position} in the queue. Expected wait: about {minutes} min.",
    position_only: "You are number {position} in the queue.",
    no_reviewer: "No reviewer is signed in right now, so we cannot say how long the wait will be. Keep this page open, or choose “Verify later” and come back before {time}.",
    taken: "A reviewer is connecting…",
    in_call: "You are talking with the reviewer.",
    reconnecting: "The connection dropped. Reconnecting…",
    left: "You left the queue. You can open this link again before the deadline.",
    later_done: "Fine: open this link again later, before {time}.",
    ended_hang_up: "The video review has ended. Thank you.",
    ended_connection_failed: "The connection could not be restored. Please open this link again to retry.",
    ended_by_you: "You ended the video call.",
    next_heading: "What happens next",
    next_after_review: "The bank will let you know the result of your application. You can close this page now.",
    next_retry: "Open this link again before {time} to retry the video review.",
    next_not_finished: "Your video review was not completed. To complete it, open this link again before {time}.",
    next_later: "Open this link again before {time}, during review hours. You can close this page now.",
    next_left: "To join the queue again, open this link before {time}. You can close this page now.",
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
    challenge_not_judged: "We could not check that in time. The reviewer may ask you again.",
  },
  zh: {
    title: "视频审核",
    checking: "正在检查您的链接…",
    valid: "链接有效。请先查看提示，然后加入排队。",
    unknown: "此链接无效，请检查短信中的链接。",
    used: "此申请已完成审核，链接不能再次使用。",
    being_checked: "您的视频审核已完成，银行正在复核审核决定，并将通知您结果。",
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
    hang_up: "挂断",
    hang_up_confirm: "再次点击以结束通话",
    recorded: "● 本次视频通话正在录制",
    tip_recorded: "与审核员的视频通话将被录制，由银行存档。",
    joining: "正在加入排队…",
    waiting: "请稍候，审核员将很快与您连线。请不要关闭此页面。",
    position: "您排在第{position}位，预计等待约{minutes}分钟。",
    position_only: "您排在第{position}位。",
    no_reviewer: "目前没有审核员在线，无法估计等待时间。请保持此页面打开，或选择“稍后验证”，并在{time}之前再来。",
    taken: "审核员正在接通…",
    in_call: "您正在与审核员通话。",
    reconnecting: "连接中断，正在重新连接…",
    left: "您已离开排队。截止时间前可再次打开此链接。",
    later_done: "好的，请在{time}之前再次打开此链接。",
    ended_hang_up: "视频审核已结束，谢谢。",
    ended_connection_failed: "连接未能恢复，请重新打开此链接重试。",
    ended_by_you: "您已结束视频通话。",
    next_heading: "接下来",
    next_after_review: "银行将通知您申请结果。您现在可以关闭此页面。",
    next_retry: "请在{time}之前重新打开此链接，再次进行视频审核。",
    next_not_finished: "您的视频审核尚未完成。如需完成，请在{time}之前重新打开此链接。",
    next_later: "请在审核时间内、{time}之前重新打开此链接。您现在可以关闭此页面。",
    next_left: "如需重新排队，请在{time}之前打开此链接。您现在可以关闭此页面。",
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
    challenge_not_judged: "我们未能及时核对该动作，审核员可能会请您再做一次。",
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
  hangingUp: false,
  retries: 0,
  challenge: null, // the liveness challenge on screen: { kind, state, deadline }
  camera: null, // the camera last reported: { track, label, deviceId }
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
    // Being checked is no fault: said plainly, not as an error.
    const tone = key === "being_checked" ? "" : "bad";
    return say(key in TEXT.en ? key : "error", { time: localTime(body.next_opening), message: body.message }, tone);
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
    if (state.hangingUp) return finish("ended_by_you", "next_not_finished");
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
    case "queued": {
      state.joined = true;
      show("join", false);
      show("leave", true);
      show("queue", true);
      say("waiting", {}, "good");
      // With no reviewer signed in there is no wait to estimate: say so instead.
      const staffed = message.reviewer_signed_in !== false && typeof message.expected_wait_seconds === "number";
      $("queue").textContent = staffed
        ? t("position", { position: message.position, minutes: Math.max(1, Math.round(message.expected_wait_seconds / 60)) })
        : t("position_only", { position: message.position });
      $("queue-note").textContent = staffed ? "" : t("no_reviewer", { time: localTime(state.deadline) });
      show("queue-note", !staffed);
      break;
    }
    case "taken":
      state.joined = true;
      state.inCall = true;
      show("join", false); show("later", false); show("leave", false); show("queue", false); show("tips", false);
      show("queue-note", false); show("recorded", true); show("hang-up", true);
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
      finish(message.verify_later ? "later_done" : "left", message.verify_later ? "next_later" : "next_left");
      break;
    case "ended":
      if (message.reason === "connection_failed") finish("ended_connection_failed", "next_retry", "bad");
      else if (message.reason === "applicant_hung_up") finish("ended_by_you", "next_not_finished");
      else finish("ended_hang_up", message.decided === false ? "next_not_finished" : "next_after_review");
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
  } else if (["passed", "failed", "not_judged"].includes(message.state)) {
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
  if (pc === state.pc) {
    reportCamera("call_started"); // before the offer: the console checks it as the leg starts
    send({ type: "offer", sdp: pc.localDescription.sdp });
  }
}

// The camera in use: the track the call sends (or the preview's), with the settings the bank
// checks. Only these keys are sent; the service refuses anything else the page never sends.
const CAMERA_SETTINGS = ["width", "height", "frameRate", "aspectRatio", "deviceId", "groupId", "facingMode", "resizeMode"];

function videoTrack() {
  const sender = state.pc && state.pc.getSenders().find((s) => s.track && s.track.kind === "video");
  if (sender) return sender.track;
  return state.stream ? state.stream.getVideoTracks()[0] || null : null;
}

function cameraOf(track) {
  const all = typeof track.getSettings === "function" ? track.getSettings() : {};
  const settings = {};
  for (const key of CAMERA_SETTINGS) {
    const value = all[key];
    if (typeof value === "number" ? Number.isFinite(value) : typeof value === "string" && value !== "") {
      settings[key] = typeof value === "string" ? value.slice(0, 256) : value;
    }
  }
  return { label: String(track.label || "").slice(0, 256), settings };
}

function reportCamera(reason) {
  const track = videoTrack();
  if (!track) return;
  const camera = cameraOf(track);
  state.camera = { track, label: camera.label, deviceId: camera.settings.deviceId || "" };
  send({ type: "camera", reason, label: camera.label, settings: camera.settings });
}

// Mid-call: another device, another label, or the video track replaced is a camera change.
function checkCamera() {
  if (!state.inCall || state.finished || !state.camera || !state.pc) return;
  const track = videoTrack();
  if (!track) return;
  const camera = cameraOf(track);
  const known = state.camera;
  if (track !== known.track || camera.label !== known.label || (camera.settings.deviceId || "") !== known.deviceId) {
    reportCamera("camera_changed");
  }
}

if (navigator.mediaDevices && navigator.mediaDevices.addEventListener) {
  navigator.mediaDevices.addEventListener("devicechange", checkCamera);
}
setInterval(checkCamera, 2000);

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
  show("queue-note", false); show("hang-up", false); show("tips", false); show("recorded", false);
  // No dead black video box: the stage goes with the camera.
  show("stage", false);
  for (const id of ["preview", "reviewer-video", "reviewer-audio"]) $(id).srcObject = null;
  if (state.stream) for (const track of state.stream.getTracks()) track.stop();
  if (state.ws) state.ws.close();
}

// The call or the wait is over: what happened, and what the applicant can do next.
function finish(statusKey, nextKey, tone) {
  const values = { time: localTime(state.deadline) };
  state.finished = true;
  say(statusKey, values, tone || "good");
  $("next-text").textContent = t(nextKey, values);
  show("next", true);
  stopAll();
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
    finish("later_done", "next_later");
  }
});

// Hang up takes two taps (a stray touch does not end the review); the service ends the call
// for both sides and records it, then says "ended".
let hangUpArmed = null;
$("hang-up").addEventListener("click", () => {
  if (!hangUpArmed) {
    $("hang-up").textContent = t("hang_up_confirm");
    hangUpArmed = setTimeout(() => { hangUpArmed = null; $("hang-up").textContent = t("hang_up"); }, 4000);
    return;
  }
  clearTimeout(hangUpArmed);
  hangUpArmed = null;
  state.hangingUp = true;
  $("hang-up").disabled = true;
  if (state.ws && state.ws.readyState === WebSocket.OPEN) send({ type: "hang_up" });
  else finish("ended_by_you", "next_not_finished");
});

$("leave").addEventListener("click", () => send({ type: "leave", verify_later: false }));

// Exposed for tests and support staff: what the page is doing.
window.applicantState = state;

checkLink().catch(() => {});
