#!/usr/bin/env python3
"""The end-to-end check of the compose deployment (scripts/deploy-test.sh runs it against a
running stack): public APIs only, from the host, plus `docker` for what an operator does
(kill a worker, restart ppi) and to fetch media from inside the Label Studio container.

  1. bootstrap wired LS: both projects, PPI as the lessons' ML backend, both webhooks, S3
     storage;
  2. a lesson with speech is uploaded to PPI (JWT from /api/auth/login);
  3. its prediction appears in LS;
  4. an annotation is posted through LS's API;
  5. review tasks appear, their presigned URLs fetchable from the host and from LS;
  6. a worker is killed mid-job (a second lesson's transcription): the job completes on the
     other worker, exactly once (one task, one prediction);
  7. `docker-compose restart ppi`: lessons, jobs, review tasks and the session survive;
  8. the review tasks are approved, and the dataset is assembled on a worker.

Environment: PPI_URL, LS_URL, LS_TOKEN, PPI_ADMIN_USER, PPI_ADMIN_PASSWORD, COMPOSE (the
compose command line, project and files included), DOCKER (the docker command line),
WORK (a scratch folder), FIGURES (a file the latencies are appended to).
Only the standard library: it runs with the machine's python3.
"""

import json
import os
import shlex
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

PPI = os.environ["PPI_URL"].rstrip("/")
LS = os.environ["LS_URL"].rstrip("/")
LS_TOKEN = os.environ["LS_TOKEN"]
COMPOSE = shlex.split(os.environ["COMPOSE"])
DOCKER = shlex.split(os.environ.get("DOCKER", "docker"))
WORK = os.environ.get("WORK", "/tmp/ppi-e2e")
FIGURES = os.environ.get("FIGURES")
LESSONS, REVIEW = "PPI lessons", "PPI clip review"


def say(msg):
    print(f"e2e: {msg}", file=sys.stderr, flush=True)


def figure(msg):
    say(msg)
    if FIGURES:
        with open(FIGURES, "a") as f:
            f.write(msg + "\n")


def fail(msg):
    say(f"FAILED: {msg}")
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def http(method, url, body=None, headers=None, raw=False, timeout=30):
    """(status, parsed JSON or bytes); JSON bodies for dicts and lists."""
    headers = dict(headers or {})
    data = None
    if isinstance(body, (dict, list)):
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    elif isinstance(body, bytes):
        data = body
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, payload = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, payload = e.code, e.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError) as e:
        return 0, str(e).encode()
    if raw:
        return status, payload
    try:
        return status, json.loads(payload or b"null")
    except ValueError:
        return status, payload


def ls(method, path, body=None):
    status, out = http(method, LS + path, body, {"Authorization": f"Token {LS_TOKEN}"})
    check(200 <= status < 300, f"LS {method} {path}: {status} {out!r:.300}")
    return out


def ls_get(path):
    """GET with retries: LS answers a 5xx now and then while busy."""
    for _ in range(10):
        status, out = http("GET", LS + path, None, {"Authorization": f"Token {LS_TOKEN}"})
        if 200 <= status < 300:
            return out
        time.sleep(1)
    fail(f"LS GET {path}: {status} {out!r:.300}")


def wait_for(what, secs, f, every=0.3):
    start = time.time()
    while True:
        v = f()
        if v:
            return v
        if time.time() - start > secs:
            fail(f"timed out after {secs} s waiting for {what}")
        time.sleep(every)


class Ppi:
    def __init__(self, user, password):
        status, s = http("POST", PPI + "/api/auth/login", {"username": user, "password": password})
        check(status == 200 and "access_token" in s, f"login: {status} {s!r:.200}")
        self.token = s["access_token"]

    def call(self, method, path, body=None, **kw):
        return http(method, PPI + path, body, {"Authorization": f"Bearer {self.token}"}, **kw)

    def get(self, path):
        status, out = self.call("GET", path)
        check(status == 200, f"PPI GET {path}: {status} {out!r:.300}")
        return out

    def upload(self, path, title):
        boundary = uuid.uuid4().hex
        with open(path, "rb") as f:
            content = f.read()
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\n{title}\r\n'.encode(),
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{os.path.basename(path)}"\r\n'
            f"Content-Type: video/mp4\r\n\r\n".encode() + content + b"\r\n",
            f"--{boundary}--\r\n".encode(),
        ]
        status, out = http(
            "POST", PPI + "/api/lessons", b"".join(parts),
            {"Authorization": f"Bearer {self.token}",
             "Content-Type": f"multipart/form-data; boundary={boundary}"}, timeout=120)
        check(status == 201, f"upload {path}: {status} {out!r:.300}")
        return out


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def containers(service):
    return run(DOCKER + ["ps", "-q", "--filter", f"label=com.docker.compose.service={service}",
                         "--filter", f"label=com.docker.compose.project={os.environ['PROJECT']}"]).split()


def logs(container):
    p = subprocess.run(DOCKER + ["logs", container], capture_output=True, text=True)
    return p.stdout + p.stderr


def said(container, *words):
    """Whether a container logged a line with all of `words` (a job's span names its id)."""
    return any(all(w in line for w in words) for line in logs(container).splitlines())


def lesson_video(name, phrases, seconds):
    """A lesson with speech: espeak-ng phrases at given times over FFmpeg's test pattern."""
    os.makedirs(WORK, exist_ok=True)
    inputs, filters = [], []
    for i, (at, voice, text) in enumerate(phrases):
        w = os.path.join(WORK, f"{name}.{i}.wav")
        run(["espeak-ng", "-v", voice, "-s", "150", "-w", w, text])
        inputs += ["-i", w]
        filters.append(f"[{i + 1}:a]aresample=16000,adelay={int(at * 1000)}:all=1[a{i}]")
    mix = "".join(f"[a{i}]" for i in range(len(phrases)))
    n = len(phrases)
    out = os.path.join(WORK, f"{name}.mp4")
    run(["ffmpeg", "-y", "-loglevel", "error", "-f", "lavfi", "-i",
         f"testsrc2=s=160x120:r=25:d={seconds}", *inputs, "-filter_complex",
         ";".join(filters) + f";{mix}amix=inputs={n}:normalize=0,apad,atrim=0:{seconds}[a]",
         "-map", "0:v", "-map", "[a]", "-c:v", "libx264", "-preset", "ultrafast", "-g", "50",
         "-pix_fmt", "yuv420p", "-c:a", "aac", "-ac", "1", "-shortest", out])
    return out


def projects():
    got = ls_get("/api/projects/?page_size=100")
    got = got["results"] if isinstance(got, dict) else got
    by = {p["title"]: p["id"] for p in got}
    return by.get(LESSONS), by.get(REVIEW)


def listing(got, key):
    return got if isinstance(got, list) else got.get(key, got.get("results", []))


def tasks(project):
    return listing(ls_get(f"/api/tasks/?project={project}&page_size=100&fields=all"), "tasks")


def predictions(task):
    return listing(ls_get(f"/api/predictions/?task={task}"), "results")


def review_tasks(project):
    return {t["data"]["item_id"]: t for t in tasks(project) if isinstance(t["data"].get("item_id"), str)}


def region(rid, start, end, label):
    return {"id": rid, "from_name": "pattern", "to_name": "video", "type": "timelinelabels",
            "value": {"ranges": [{"start": start, "end": end}], "timelinelabels": [label]}}


def verdict(v):
    return {"result": [{"id": "v", "from_name": "verdict", "to_name": "clip", "type": "choices",
                        "value": {"choices": [v]}}]}


def fetch_in_ls(url):
    """Fetches a URL from inside the Label Studio container, as LS and its users' browsers do
    through the public endpoint; returns (status, first bytes)."""
    code = ("import sys,urllib.request as u; r=u.urlopen(sys.argv[1], timeout=10); "
            "print(r.status, r.read()[:4].hex())")
    ls_box = containers("label-studio")[0]
    out = run(DOCKER + ["exec", ls_box, "/opt/label-studio/bin/python", "-c", code, url]).split()
    return int(out[0]), bytes.fromhex(out[1])


def main():
    # 1. bootstrap's wiring, as LS shows it.
    a, r = wait_for("both PPI projects in LS", 60, lambda: all(projects()) and projects())
    ml = listing(ls_get(f"/api/ml/?project={a}"), "results")
    check(any(m.get("url", "").rstrip("/") == "http://ppi.internal:8080/ml" for m in ml),
          f"project {a}: PPI is not its ML backend: {ml}")
    for p in (a, r):
        hooks = listing(ls_get(f"/api/webhooks/?project={p}"), "results")
        check(hooks and all(h.get("url") == "http://ppi.internal:8080/ml/webhook" for h in hooks),
              f"project {p}: webhooks {hooks}")
    storages = listing(ls_get(f"/api/storages/s3/?project={a}"), "results")
    check(storages, f"project {a}: no S3 storage")
    say(f"LS wired: projects {a} and {r}, ML backend, webhooks, S3 storage {storages[0].get('bucket')}")

    admin = Ppi(os.environ["PPI_ADMIN_USER"], os.environ["PPI_ADMIN_PASSWORD"])

    # 2-3. Upload; the prediction arrives.
    video = lesson_video("questions", [(1.0, "en-us", "Who knows the answer to this question?"),
                                       (9.0, "ru+f4", "Кто знает ответ на этот вопрос?")], 16)
    t0 = time.time()
    first = admin.upload(video, "Questions")
    lesson = first["lesson"]["id"]
    task = wait_for("the imported task", 120, lambda: (tasks(a) or [{}])[0].get("id"))
    t_task = time.time()
    pred = wait_for("the prediction", 240, lambda: predictions(task))
    t_pred = time.time()
    check(len(pred) == 1, f"one prediction, got {len(pred)}")
    figure(f"latency upload -> LS task: {t_task - t0:.1f} s; upload -> prediction: {t_pred - t0:.1f} s "
           f"(model {pred[0].get('model_version')}, {len(pred[0]['result'])} result(s))")

    # 4-5. An annotation with two intervals → two review tasks with playable URLs.
    t1 = time.time()
    ls("POST", f"/api/tasks/{task}/annotations/",
       {"result": [region("r1", 1, 100, "Questioning"), region("r2", 151, 250, "Lecture")]})
    review = wait_for("two review tasks", 240, lambda: (lambda t: len(t) == 2 and t)(review_tasks(r)))
    figure(f"latency annotation -> review tasks: {time.time() - t1:.1f} s")
    for item, t in review.items():
        for key in ("clip_url", "keyframe_url"):
            url = t["data"][key]
            status, body = http("GET", url, raw=True)
            check(status == 200, f"{item} {key} from the host: {status} {url}")
            in_ls = fetch_in_ls(url)
            check(in_ls[0] == 200, f"{item} {key} from the LS container: {in_ls}")
            if key == "keyframe_url":
                check(body[:2] == b"\xff\xd8" and in_ls[1][:2] == b"\xff\xd8", f"{item}: not a JPEG")
            else:
                check(body[4:8] == b"ftyp", f"{item}: not an MP4")
    say(f"review tasks {sorted(review)}: clip and key frame fetched from the host and from LS")

    # 6. A worker killed mid-job: a second lesson's transcription.
    workers = containers("worker")
    check(len(workers) >= 2, f"two workers, got {workers}")
    video2 = lesson_video("longer", [(1.0, "en-us", "Today we will work in groups of four."),
                                     (8.0, "en-us", "Each group discusses the question together."),
                                     (16.0, "ru+f4", "Сегодня мы будем работать в группах."),
                                     (24.0, "en-us", "Now please show your answers to the class.")], 36)
    t_up2 = time.time()
    second = admin.upload(video2, "Group work")
    lesson2 = second["lesson"]["id"]

    def running():
        # The transcription job is keyed by the LS task, not the lesson: the one created since.
        jobs = admin.get("/api/jobs?kind=transcribe&status=running")["jobs"]
        return next((j for j in jobs if j["created_at"] >= (t_up2 - 1) * 1000), None)

    job = wait_for("the second lesson's transcription to start", 180, running, every=0.1)
    owner = wait_for("the worker that runs it", 10,
                     lambda: next((w for w in workers if said(w, job["id"], "job started")), None), every=0.1)
    run(DOCKER + ["kill", owner])
    t_kill = time.time()
    say(f"killed worker {owner[:12]} running transcribe job {job['id']}")
    done = wait_for("the transcription to finish on another worker", 300,
                    lambda: (lambda j: j["status"] in ("succeeded", "failed") and j)(admin.get(f"/api/jobs/{job['id']}")))
    check(done["status"] == "succeeded", f"job {job['id']}: {done}")
    others = [w for w in containers("worker") if w != owner]
    check(any(said(w, job["id"], "job finished") for w in others), "the job finished, but not on another worker")
    figure(f"worker killed mid-job: transcribe finished on another worker {time.time() - t_kill:.1f} s "
           f"after the kill (attempts {done['attempts']})")
    task2 = wait_for("the second lesson's task", 120,
                     lambda: [t["id"] for t in tasks(a) if t["id"] != task] or None)
    check(len(task2) == 1, f"one task for the second lesson, got {task2}")
    pred2 = wait_for("its prediction", 120, lambda: predictions(task2[0]))
    time.sleep(3)
    pred2 = predictions(task2[0])
    check(len(pred2) == 1, f"exactly one prediction for the second lesson, got {len(pred2)}")
    say("the killed worker's job ran to completion exactly once: one task, one prediction")

    # 7. Restart ppi: nothing lost.
    before = admin.get("/api/lessons")
    jobs_before = {j["id"]: j["status"] for j in admin.get("/api/jobs?limit=1000")["jobs"]}
    t2 = time.time()
    run(COMPOSE + ["restart", "ppi"])
    wait_for("ppi healthy again", 120, lambda: http("GET", PPI + "/health")[0] == 200)
    figure(f"docker-compose restart ppi: healthy again after {time.time() - t2:.1f} s")
    after = admin.get("/api/lessons")  # the same session token: the JWT secret is the same
    ids = lambda l: sorted(x["id"] for x in listing(l, "lessons"))
    check(ids(before) == ids(after) and lesson in ids(after) and lesson2 in ids(after),
          f"lessons before {ids(before)}, after {ids(after)}")
    jobs_after = {j["id"]: j["status"] for j in admin.get("/api/jobs?limit=1000")["jobs"]}
    lost = [j for j in jobs_before if j not in jobs_after]
    check(not lost, f"jobs lost in the restart: {lost}")
    check(sorted(review_tasks(r)) == sorted(review), "review tasks changed in the restart")
    say(f"after the restart: {len(ids(after))} lessons, {len(jobs_after)} jobs, the review tasks, and the session")

    # 8. Approve both; the dataset is assembled on a worker.
    t3 = time.time()
    for t in review.values():
        ls("POST", f"/api/tasks/{t['id']}/annotations/", verdict("Approve"))

    def metadata():
        box = containers("worker")[0]
        p = subprocess.run(DOCKER + ["exec", box, "cat", "/data/dataset/metadata.csv"],
                           capture_output=True, text=True)
        return p.returncode == 0 and len(p.stdout.splitlines()) == 3 and p.stdout

    csv = wait_for("the dataset assembled with both items", 240, metadata, every=0.5)
    figure(f"latency approvals -> dataset assembled (metadata.csv with 2 rows): {time.time() - t3:.1f} s")
    check("Questioning" in csv and "Lecture" in csv, f"metadata.csv:\n{csv}")
    jobs = admin.get("/api/jobs?kind=assemble&status=succeeded")["jobs"]
    jobs = [j for j in jobs if (j.get("finished_at") or 0) >= (t3 - 1) * 1000]
    check(jobs, "no assemble job succeeded after the approvals")
    lines = lambda box: [l for l in logs(box).splitlines() if "dataset assembled" in l]
    on = {w[:12]: [l for l in lines(w) if any(j["id"] in l for j in jobs)] for w in containers("worker")}
    on = {w: l for w, l in on.items() if l}
    check(on, f"assemble jobs {[j['id'] for j in jobs]}: no worker logged them")
    check(not lines(containers("ppi")[0]), "ppi (serve --no-worker) assembled a dataset")
    w, l = next(iter(on.items()))
    say(f"assembled on worker {w}: {l[-1].strip()[-200:]}")
    say("all checks passed")


if __name__ == "__main__":
    main()
