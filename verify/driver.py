#!/usr/bin/env python3
"""Runs one Offset Lab scenario on the real client and records what really happened.

    python driver.py RUN_DIR

RUN_DIR holds plan.json (from `offset-lab plan`) and one exported script per consumer (from
`offset-lab script`). The driver

  1. starts librdkafka's mock cluster in this process (the mock API of rdkafka_mock.h, through
     ctypes, from the librdkafka bundled in the confluent-kafka wheel), creates the topics and
     sets the broker's group.initial.rebalance.delay.ms and round-trip time;
  2. picks T0, the wall-clock instant of scenario time 0, and then, at the scenario's times:
     produces the payments (key and partition as the simulation placed them), starts each
     consumer's script as its own OS process (OFFSET_LAB_START_AT makes it construct its
     Consumer at the planned instant, B5), delivers the ends at a time as signals (SIGKILL for
     a kill; SIGINT for sys.exit, which unwinds like KeyboardInterrupt, B13; SIGTERM for a close
     without finally: the script's handler closes), restarts a process that ended when the
     plan restarts it, and injects the commit errors of a commit_errors fault;
  3. stops when the simulation says nothing more happens (plan.stop_ms), or later if the real
     run is behind, but never after duration_ms + a settle time;
  4. reads the real sink: the ledger file, the sqlite database, or the refunds topic read back
     with the scenario's isolation level, the dead-letter topic, the skipped payments the
     script printed, and the group's committed offsets, and writes result.json: one verdict per
     payment, the partition and offset of every payment, and a timeline of the processes.

Everything the run leaves is in RUN_DIR: driver.log (the timeline), mock.log (the mock
cluster's own debug log: group states, requests, commits), <consumer>.run<N>.log (each
process's output, each line stamped with its time since T0) and the sink's files.

Standard library and confluent_kafka only.
"""

import ctypes
import glob
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import traceback

import confluent_kafka
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition

# Lead time: processes are started this long before their Consumer() instant, so that
# Python's start-up (import confluent_kafka, read the state file) is over by then.
LEAD_S = float(os.environ.get('OFFSET_LAB_VERIFY_LEAD_S', '3.0'))
# How long after the last planned event a real run may go on before it stops.
SETTLE_S = 5.0
# After the real run has caught up with the simulation past stop_ms, wait this long for
# anything more (a duplicate that comes later) before stopping.
CAUGHT_UP_HOLD_S = 3.0
TICK_S = 0.01
# Starts a consumer's script so that it dies with the driver (Linux PR_SET_PDEATHSIG = SIGKILL,
# kept across exec): a driver that is killed leaves no consumer behind.
LAUNCH = ('import ctypes, os, sys; ctypes.CDLL(None).prctl(1, 9); '
          'os.execv(sys.executable, [sys.executable, sys.argv[1]])')
# The suffix the scripts append to the group id and topic names (OFFSET_LAB_SUFFIX).
SUFFIX = '-verify'
API_OFFSET_COMMIT = 8


def now_ms():
    return int(time.time() * 1000)


# ---- the mock cluster, through ctypes ---------------------------------------------------------

class MockCluster:
    """librdkafka's mock cluster (rdkafka_mock.h), created on a bare rd_kafka_t of this process.

    It lives as long as the process (the driver ends with os._exit); the brokers listen on
    127.0.0.1 only."""

    def __init__(self, brokers=1):
        self.lib = ctypes.CDLL(self.library())
        lib = self.lib
        lib.rd_kafka_conf_new.restype = ctypes.c_void_p
        lib.rd_kafka_conf_set.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p,
                                          ctypes.c_char_p, ctypes.c_size_t]
        lib.rd_kafka_new.restype = ctypes.c_void_p
        lib.rd_kafka_new.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
        lib.rd_kafka_mock_cluster_new.restype = ctypes.c_void_p
        lib.rd_kafka_mock_cluster_new.argtypes = [ctypes.c_void_p, ctypes.c_int]
        lib.rd_kafka_mock_cluster_bootstraps.restype = ctypes.c_char_p
        lib.rd_kafka_mock_cluster_bootstraps.argtypes = [ctypes.c_void_p]
        lib.rd_kafka_mock_topic_create.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_int]
        lib.rd_kafka_mock_group_initial_rebalance_delay_ms.argtypes = [ctypes.c_void_p, ctypes.c_int32]
        lib.rd_kafka_mock_broker_set_rtt.argtypes = [ctypes.c_void_p, ctypes.c_int32, ctypes.c_int]
        lib.rd_kafka_mock_push_request_errors_array.argtypes = [
            ctypes.c_void_p, ctypes.c_int16, ctypes.c_size_t, ctypes.POINTER(ctypes.c_int)]
        lib.rd_kafka_mock_clear_request_errors.argtypes = [ctypes.c_void_p, ctypes.c_int16]

        conf = lib.rd_kafka_conf_new()
        errstr = ctypes.create_string_buffer(512)
        # The mock's own debug log (group states, requests, commits) goes to stderr: mock.log.
        for key, value in [(b'debug', b'mock'), (b'log.thread.name', b'false')]:
            if lib.rd_kafka_conf_set(conf, key, value, errstr, len(errstr)) != 0:
                raise RuntimeError(f'rd_kafka_conf_set {key}: {errstr.value.decode()}')
        self.rk = lib.rd_kafka_new(0, conf, errstr, len(errstr))  # RD_KAFKA_PRODUCER
        if not self.rk:
            raise RuntimeError(f'rd_kafka_new: {errstr.value.decode()}')
        self.mc = lib.rd_kafka_mock_cluster_new(self.rk, brokers)
        if not self.mc:
            raise RuntimeError('rd_kafka_mock_cluster_new failed')
        self.bootstraps = lib.rd_kafka_mock_cluster_bootstraps(self.mc).decode()

    @staticmethod
    def library():
        """The librdkafka shared library bundled in the confluent-kafka wheel."""
        site = os.path.dirname(os.path.dirname(confluent_kafka.__file__))
        found = sorted(glob.glob(os.path.join(site, 'confluent_kafka.libs', 'librdkafka*.so*')))
        if not found:
            raise RuntimeError(f'no bundled librdkafka under {site}/confluent_kafka.libs')
        return found[0]

    def create_topic(self, name, partitions):
        err = self.lib.rd_kafka_mock_topic_create(self.mc, name.encode(), partitions, 1)
        if err:
            raise RuntimeError(f'rd_kafka_mock_topic_create {name}: error {err}')

    def initial_rebalance_delay(self, ms):
        self.lib.rd_kafka_mock_group_initial_rebalance_delay_ms(self.mc, ms)

    def set_rtt(self, ms):
        err = self.lib.rd_kafka_mock_broker_set_rtt(self.mc, 1, ms)
        if err:
            raise RuntimeError(f'rd_kafka_mock_broker_set_rtt: error {err}')

    def fail_commits(self, code, count):
        """The next `count` OffsetCommit requests fail with error `code`."""
        self.push_commit_errors([code] * count)

    def push_commit_errors(self, codes):
        """The next OffsetCommit requests get these errors, in order (0: handled normally)."""
        errors = (ctypes.c_int * len(codes))(*codes)
        self.lib.rd_kafka_mock_push_request_errors_array(self.mc, API_OFFSET_COMMIT, len(codes), errors)

    def clear_commit_errors(self):
        self.lib.rd_kafka_mock_clear_request_errors(self.mc, API_OFFSET_COMMIT)


# ---- the run ------------------------------------------------------------------------------------

class Log:
    """driver.log: one line per thing the driver did or saw, stamped with the time since T0."""

    def __init__(self, path):
        self.file = open(path, 'a', buffering=1)
        self.t0 = None
        self.lock = threading.Lock()

    def stamp(self):
        if self.t0 is None:
            return '     setup'
        return f'{(time.time() * 1000 - self.t0) / 1000:+10.3f}'

    def __call__(self, text):
        with self.lock:
            self.file.write(f'{self.stamp()}  {text}\n')


class Process:
    """One run of one consumer's script: an OS process, its output stamped line by line."""

    def __init__(self, driver, consumer, run, start_at_ms):
        self.consumer = consumer
        self.run = run
        self.start_at_ms = start_at_ms
        self.log_path = os.path.join(driver.dir, f'{consumer["name"]}.run{run["run"]}.log')
        self.lines = []  # (ms since T0, text)
        self.exit_ms = None
        self.exit_code = None
        self.crash_points = []  # crash point numbers the script printed (1-based)
        self.skipped = []
        env = dict(os.environ,
                   OFFSET_LAB_BOOTSTRAP=driver.mock.bootstraps,
                   OFFSET_LAB_SUFFIX=SUFFIX,
                   OFFSET_LAB_DIR=driver.dir,
                   OFFSET_LAB_START_AT=str(start_at_ms),
                   PYTHONUNBUFFERED='1')
        script = os.path.join(driver.dir, consumer['script'])
        self.launched_ms = now_ms()
        self.popen = subprocess.Popen([sys.executable, '-c', LAUNCH, script], cwd=driver.dir, env=env,
                                      stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True, errors='replace')
        self.t0 = driver.t0
        self.reader = threading.Thread(target=self.read_output, daemon=True)
        self.reader.start()

    def read_output(self):
        with open(self.log_path, 'w') as out:
            for line in self.popen.stdout:
                at = now_ms() - self.t0
                line = line.rstrip('\n')
                self.lines.append((at, line))
                out.write(f'{at / 1000:+10.3f}  {line}\n')
                out.flush()
                m = re.match(r'crash point (\d+):', line)
                if m:
                    self.crash_points.append(int(m.group(1)))
                m = re.match(r"skipped b'(P-\d+)'", line)
                if m:
                    self.skipped.append(m.group(1))

    def alive(self):
        return self.popen.poll() is None


class Driver:
    def __init__(self, run_dir):
        self.dir = os.path.abspath(run_dir)
        with open(os.path.join(self.dir, 'plan.json')) as f:
            self.plan = json.load(f)
        self.log = Log(os.path.join(self.dir, 'driver.log'))
        self.notes = []  # anything unexpected: goes into the result
        self.processes = []
        self.current = {}  # consumer name -> its latest Process
        self.deliveries = {}  # payment id -> (partition, offset) from the delivery reports
        self.produce_errors = []
        self.refunds = []
        self.dead_letters = []
        self.reader_lock = threading.Lock()
        self.stop_reader = threading.Event()
        self.t0 = None

    def note(self, text):
        self.notes.append(text)
        self.log('NOTE ' + text)

    def topic(self, name):
        return name + SUFFIX

    # -- setup

    def setup(self):
        plan = self.plan
        self.mock = MockCluster()
        self.log(f'mock cluster at {self.mock.bootstraps} (librdkafka {confluent_kafka.libversion()[0]}, '
                 f'confluent-kafka {confluent_kafka.version()[0]})')
        for t in plan['topics']:
            self.mock.create_topic(self.topic(t['name']), t['partitions'])
        broker = plan['broker']
        self.mock.initial_rebalance_delay(broker['group_initial_rebalance_delay_ms'])
        self.mock.set_rtt(broker['rtt_ms'])
        self.log(f"topics {[self.topic(t['name']) for t in plan['topics']]}, "
                 f"group.initial.rebalance.delay.ms={broker['group_initial_rebalance_delay_ms']}, "
                 f"rtt {broker['rtt_ms']} ms")
        # The producer of the payments: the scenario's partitioner for keyed payments (the
        # simulation computed the same partitions); unkeyed payments name their partition.
        conf = {'bootstrap.servers': self.mock.bootstraps, 'linger.ms': 0}
        if plan['keyed']:
            conf['partitioner'] = plan['partitioner']
        # Commit errors by their place among the commit requests (one consumer): the mock's
        # error stack answers the next requests in order; NO_ERROR entries let requests through.
        for f in plan['faults']:
            if f['kind'] == 'commit_errors' and f.get('sequence'):
                stack = [f['code'] if n in f['sequence'] else 0 for n in range(1, max(f['sequence']) + 1)]
                self.mock.push_commit_errors(stack)
                self.log(f"commit_errors: OffsetCommit request(s) #{', #'.join(map(str, f['sequence']))} fail with "
                         f"{f['error']}, as in the simulation (window {f['from_ms']}–{f['to_ms']} ms)")
        self.producer = Producer(conf)
        self.producer.list_topics(timeout=10)  # connected before T0
        sink = plan['sink']['kind']
        readback = []
        if sink in ('refunds_topic', 'transactional'):
            readback.append(self.topic('refunds'))
        if plan['dead_letter_topic']:
            readback.append(self.topic(plan['dead_letter_topic']))
        if readback:
            self.reader_thread = threading.Thread(target=self.read_topics, args=(readback,), daemon=True)
            self.reader_thread.start()
        else:
            self.reader_thread = None

    def read_topics(self, topics):
        """Reads the refunds and dead-letter topics from the beginning, as the downstream reader
        does: with the scenario's isolation level (E2)."""
        isolation = 'read_committed' if self.plan['sink']['read_committed'] else 'read_uncommitted'
        reader = Consumer({'bootstrap.servers': self.mock.bootstraps, 'group.id': 'offset-lab-verify-reader',
                           'enable.auto.commit': False, 'isolation.level': isolation})
        reader.assign([TopicPartition(t, 0, OFFSET_BEGINNING) for t in topics])
        refunds = self.topic('refunds')
        while not self.stop_reader.is_set():
            msg = reader.poll(0.1)
            if msg is None or msg.error():
                continue
            with self.reader_lock:
                (self.refunds if msg.topic() == refunds else self.dead_letters).append(msg.value().decode())
        reader.close()

    # -- the timeline

    def schedule(self):
        """Everything the driver does at a scenario time: (ms since T0, order, what, args)."""
        plan = self.plan
        events = []
        by_time = {}
        for p in plan['payments']:
            by_time.setdefault(p['produce_ms'], []).append(p)
        for at, payments in by_time.items():
            events.append((at, 1, 'produce', payments))
        for s in plan['signals']:
            events.append((s['at_ms'], 3, 'signal', s))
        rtt_half = plan['broker']['rtt_ms'] // 2
        for f in plan['faults']:
            if f['kind'] == 'commit_errors' and f.get('sequence') is not None:
                continue  # set up before T0, see setup()
            if f['kind'] == 'commit_errors':
                # The simulated broker sees a request rtt/2 after it is sent; the mock handles it
                # on arrival and delays only the response, so the window moves rtt/2 earlier.
                start = max(0, f['from_ms'] - rtt_half)
                events.append((start, 0, 'fail_commits', f))
                events.append((max(f['to_ms'] - rtt_half, start) + 500, 0, 'clear_commit_errors', f))
        for c in plan['consumers']:
            first = c['runs'][0] if c['runs'] else None
            if first and 'at_ms' in first['start']:
                events.append((first['start']['at_ms'], 2, 'start', (c, first)))
        events.sort(key=lambda e: (e[0], e[1]))
        return events

    def start(self, consumer, run, start_at_ms):
        prev = self.current.get(consumer['name'])
        if prev is not None and prev.alive():
            self.note(f"{consumer['name']} run {run['run']}: not started, run {prev.run['run']} is still running")
            return
        p = Process(self, consumer, run, start_at_ms)
        self.processes.append(p)
        self.current[consumer['name']] = p
        self.log(f"start {consumer['name']} run {run['run']} (pid {p.popen.pid}), Consumer() at "
                 f"{(start_at_ms - self.t0) / 1000:+.3f}")

    def run(self):
        plan = self.plan
        events = self.schedule()
        self.t0 = now_ms() + int(LEAD_S * 1000)
        self.log.t0 = self.t0
        self.log(f"T0 = {self.t0} (Unix ms); stop at {plan['stop_ms'] / 1000:.3f} s if caught up, "
                 f"{(plan['duration_ms'] / 1000 + SETTLE_S):.3f} s at the latest")
        # Initial processes start LEAD_S ahead; the rest of the timeline runs at its times.
        launches = [(at, e) for (at, order, what, e) in events if what == 'start']
        timed = [(at, order, what, e) for (at, order, what, e) in events if what != 'start']
        lead_ms = int(LEAD_S * 1000)
        pending_launch = sorted(((at - lead_ms, at, e) for at, e in launches), key=lambda x: x[0])
        restarts = []  # (launch at ms since T0, Consumer() at ms since T0, consumer, run)
        hard_stop = plan['duration_ms'] + int(SETTLE_S * 1000)
        caught_up_since = None
        last_check = -1
        i = 0
        while True:
            t = now_ms() - self.t0
            while pending_launch and pending_launch[0][0] <= t:
                _, at, (c, r) = pending_launch.pop(0)
                self.start(c, r, self.t0 + at)
            while restarts and restarts[0][0] <= t:
                _, at, c, r = restarts.pop(0)
                self.start(c, r, self.t0 + at)
            while i < len(timed) and timed[i][0] <= t:
                self.do(*timed[i][2:], late_ms=t - timed[i][0])
                i += 1
            for p in list(self.current.values()):
                if p.exit_ms is None and not p.alive():
                    self.ended(p, restarts)
            restarts.sort(key=lambda x: x[0])
            if t - last_check >= 200:
                last_check = t
                caught_up = self.caught_up()
                if caught_up and caught_up_since is None:
                    caught_up_since = t
                if not caught_up:
                    caught_up_since = None
                held = caught_up_since is not None and t - caught_up_since >= CAUGHT_UP_HOLD_S * 1000
                if t >= plan['stop_ms'] and held:
                    self.log(f'stop: caught up with the simulation since {caught_up_since / 1000:+.3f}')
                    break
                if t >= hard_stop:
                    self.log('stop: duration_ms + settle reached' + ('' if caught_up else ' (not caught up)'))
                    break
            time.sleep(TICK_S)
        self.stopped_ms = now_ms() - self.t0

    def do(self, what, arg, late_ms):
        late = f' ({late_ms} ms late)' if late_ms > 20 else ''
        if what == 'produce':
            for p in arg:
                kwargs = {'value': p['id'].encode(), 'on_delivery': self.delivered}
                if p['key'] is not None:
                    kwargs['key'] = p['key'].encode()
                else:
                    kwargs['partition'] = p['partition']
                self.producer.produce(self.topic(self.plan['topic']['name']), **kwargs)
            self.producer.flush(10)
            ids = [p['id'] for p in arg]
            self.log(f"produced {ids[0]}{' … ' + ids[-1] if len(ids) > 1 else ''}{late}")
        elif what == 'signal':
            p = self.current.get(arg['consumer'])
            if p is None or p.run['run'] != arg['run'] or not p.alive():
                self.note(f"{arg['signal']} for {arg['consumer']} run {arg['run']} at {arg['at_ms']} ms: "
                          f"that process is not running")
                return
            os.kill(p.popen.pid, getattr(signal, arg['signal']))
            p.signalled_ms = now_ms() - self.t0
            self.log(f"{arg['signal']} to {arg['consumer']} run {arg['run']} (pid {p.popen.pid}): "
                     f"{arg['kind']} at a time{late}")
        elif what == 'fail_commits':
            if arg['count'] > 0:
                self.mock.fail_commits(arg['code'], arg['count'])
            self.log(f"commit_errors: the next {arg['count']} OffsetCommit(s) fail with {arg['error']}{late}")
        elif what == 'clear_commit_errors':
            self.mock.clear_commit_errors()
            self.log(f'commit_errors: window over, pending errors cleared{late}')

    def delivered(self, err, msg):
        payment = msg.value().decode()
        if err is not None:
            self.produce_errors.append(f'{payment}: {err}')
        else:
            self.deliveries[payment] = (msg.partition(), msg.offset())

    def ended(self, p, restarts):
        p.reader.join(timeout=2)
        p.exit_ms = now_ms() - self.t0
        p.exit_code = p.popen.returncode
        how = f'signal {-p.exit_code}' if p.exit_code < 0 else f'exit code {p.exit_code}'
        crash = f', crash point {p.crash_points}' if p.crash_points else ''
        self.log(f"{p.consumer['name']} run {p.run['run']} ended ({how}{crash})")
        runs = p.consumer['runs']
        k = p.run['run']
        end = p.run.get('end')
        last = p.lines[-1][1].strip() if p.lines else ''
        said = f': {last}' if p.exit_code != 0 and last else ''
        if end is None:
            self.note(f"{p.consumer['name']} run {k} ended at {p.exit_ms} ms ({how}{said}); the simulation keeps "
                      f"it running to the end")
        elif end.get('by') == 'point' and end.get('crash') is not None and end['crash'] + 1 not in p.crash_points:
            self.note(f"{p.consumer['name']} run {k} ended ({how}{said}) without crash point {end['crash'] + 1}")
        if k < len(runs):
            nxt = runs[k]
            if 'after_exit_ms' in nxt['start']:
                at = p.exit_ms + nxt['start']['after_exit_ms']
                restarts.append((p.exit_ms, at, p.consumer, nxt))
            else:
                at = nxt['start']['at_ms']
                restarts.append((at - int(LEAD_S * 1000), at, p.consumer, nxt))

    # -- the real sink

    def effects(self):
        """Payment ids, one per effect visible in the sink (A3)."""
        kind = self.plan['sink']['kind']
        if kind in ('ledger', 'idempotent'):
            path = os.path.join(self.dir, 'ledger.txt')
            if not os.path.exists(path):
                return []
            with open(path) as f:
                return [line.strip() for line in f if line.strip()]
        if kind == 'database':
            rows = self.db_query('SELECT payment FROM payments')
            return [r[0] for r in rows]
        with self.reader_lock:
            return list(self.refunds)

    def db_query(self, sql):
        path = os.path.join(self.dir, 'payments.db')
        if not os.path.exists(path):
            return []
        try:
            db = sqlite3.connect(f'file:{path}?mode=ro', uri=True, timeout=2)
            try:
                return db.execute(sql).fetchall()
            finally:
                db.close()
        except sqlite3.Error:
            return []  # the table is not there yet

    def skipped(self):
        return {s for p in self.processes for s in p.skipped}

    def caught_up(self):
        """The real sink shows what the simulation ends with: every payment applied as often,
        and the same payments dead-lettered and skipped."""
        counts = {}
        for e in self.effects():
            counts[e] = counts.get(e, 0) + 1
        with self.reader_lock:
            dead = set(self.dead_letters)
        skipped = self.skipped()
        for p in self.plan['payments']:
            if counts.get(p['id'], 0) != p['sim']['applied']:
                return False
            if (p['id'] in dead) != (p['sim']['verdict'] == 'deadlettered'):
                return False
            if (p['id'] in skipped) != (p['sim']['verdict'] == 'skipped'):
                return False
        return True

    def committed(self):
        """Where a restarted consumer would resume, per partition (A1): the group's committed
        offsets, or for the database sink the offsets stored with the results (E4)."""
        n = self.plan['topic']['partitions']
        if self.plan['sink']['kind'] == 'database':
            rows = self.db_query('SELECT part, next_offset FROM offsets')
            table = {part: off for part, off in rows}
            return [table.get(p, -1001) for p in range(n)]
        c = Consumer({'bootstrap.servers': self.mock.bootstraps,
                      'group.id': self.plan['group_id'] + SUFFIX,
                      'enable.auto.commit': False,
                      # read_uncommitted: do not wait for the offsets of a transaction that a
                      # killed producer left open (B9, E3); those are not committed.
                      'isolation.level': 'read_uncommitted'})
        try:
            tps = c.committed([TopicPartition(self.topic(self.plan['topic']['name']), p) for p in range(n)],
                              timeout=10)
            return [tp.offset for tp in tps]
        finally:
            c.close()

    def finish(self):
        """Stops every process, reads the sink and writes result.json."""
        for p in self.processes:
            if p.alive():
                p.popen.kill()
                p.popen.wait()
                p.reader.join(timeout=2)
                self.log(f"{p.consumer['name']} run {p.run['run']}: killed at the end of the run")
        self.producer.flush(5)
        if self.reader_thread:
            time.sleep(1.0)  # the last records reach the reader
            self.stop_reader.set()
            self.reader_thread.join(timeout=10)
        counts = {}
        for e in self.effects():
            counts[e] = counts.get(e, 0) + 1
        dead = set(self.dead_letters)
        skipped = self.skipped()
        committed = self.committed()
        payments = []
        for p in self.plan['payments']:
            pid = p['id']
            applied = counts.get(pid, 0)
            partition, offset = self.deliveries.get(pid, (None, None))
            if applied >= 2:
                verdict = 'duplicated'
            elif applied == 1:
                verdict = 'once'
            elif pid in dead:
                verdict = 'deadlettered'  # the simulator's spelling (outcome.rs Verdict)
            elif pid in skipped:
                verdict = 'skipped'
            elif partition is not None and committed[partition] > offset:
                verdict = 'lost'
            else:
                verdict = 'pending'
            payments.append({'id': pid, 'partition': partition, 'offset': offset,
                             'applied': applied, 'verdict': verdict})
        self.log(f'committed (resume offsets): {committed}')
        events = mock_events(os.path.join(self.dir, 'mock.log'), self.t0, self.plan['group_id'] + SUFFIX)
        for e in events:
            times = f"{e['count']}× from {e['at_ms'] / 1000:+.3f} to {e['until_ms'] / 1000:+.3f}" if e['count'] > 1 \
                else f"at {e['at_ms'] / 1000:+.3f}"
            self.log(f"mock: {e['kind']} {times}")
        return {
            'scenario': self.plan['scenario'],
            'payments': payments,
            'committed': committed,
            'stopped_ms': self.stopped_ms,
            'mock_events': events,
            'produce_errors': self.produce_errors,
            'notes': self.notes,
            'processes': [{
                'consumer': p.consumer['name'], 'run': p.run['run'], 'pid': p.popen.pid,
                'construct_at_ms': p.start_at_ms - self.t0,
                'launched_ms': p.launched_ms - self.t0,
                'exit_ms': p.exit_ms, 'exit_code': p.exit_code, 'crash_points': p.crash_points,
                'log': os.path.basename(p.log_path),
            } for p in self.processes],
            'versions': {'confluent_kafka': confluent_kafka.version()[0],
                         'librdkafka': confluent_kafka.libversion()[0]},
        }


# ---- what the mock cluster did that a real broker would not ------------------------------------

# Mechanisms of the mock's group coordinator (rdkafka_mock_cgrp.c) that differ from a real
# broker's (C1-C4), found in its debug log. `disturbs`: the simulation cannot follow the run
# from there on (a run that disagrees after one is inconclusive); the others only move times.
MOCK_MECHANISMS = {
    'member-expired-in-sync': (True, 'a member\'s session expired after the mock had put it into the new '
                               'generation, while the others waited for its SyncGroup: the mock refreshes a session '
                               'only on requests it accepts (not on heartbeats it answers with REBALANCE_IN_PROGRESS) '
                               'and checks sessions once a second, so a member that had died, or a live one slow to '
                               'rejoin, is dropped mid-rebalance and the group rebalances again, waiting '
                               'session.timeout.ms - 1 s (a real broker counts those heartbeats and removes a dead '
                               'member at its last heartbeat + session.timeout.ms, before the generation, C2)'),
    'late-sync': (True, 'a follower\'s SyncGroup arrived after the leader completed the generation; the mock '
                  'answers INVALID_REQUEST and the follower rejoins, forcing another rebalance'),
    'commit-while-joining': (True, 'a commit reached the group while it was rebalancing; the mock refuses it '
                             'with REBALANCE_IN_PROGRESS (a real broker accepts it in PreparingRebalance, C1)'),
    'join-waits-session': (False, 'a member joined a stable group; the mock waits session.timeout.ms - 1 s '
                           'before it assigns (a real broker assigns once every member has rejoined, C2)'),
    'no-empty-state': (False, 'the last member left or expired; the mock has no EMPTY state, so a member joining within '
                       'session.timeout.ms - 1 s waits for that timer, not for group.initial.rebalance.delay.ms (C3, C4)'),
}


def mock_events(path, t0, group):
    """The mechanisms of MOCK_MECHANISMS that happened in `group`, from the mock's debug log."""
    events = []
    state = 'Empty'
    line_re = re.compile(r'%\d\|(\d+\.\d+)\|MOCK\|[^|]*\| (.*)')
    with open(path, errors='replace') as f:
        for line in f:
            m = line_re.match(line)
            if not m:
                continue
            at = int(float(m.group(1)) * 1000) - t0
            text = m.group(2)
            change = re.match(r'Mock consumer group (\S+) with (\d+) member\(s\) changing state (\w+) -> (\w+): (.*)', text)
            if change and change.group(1) == group:
                members, old, new, why = int(change.group(2)), change.group(3), change.group(4), change.group(5)
                if old == 'Up' and new == 'Joining' and why == 'member join':
                    events.append((at, 'join-waits-session'))
                if old == 'Up' and new == 'Joining' and members == 0:
                    events.append((at, 'no-empty-state'))
                state = new
                continue
            expired = re.match(r'Member (\S+) session timed out for group (\S+)', text)
            # While the group is joining, a dead member's expiry is what a real broker does too
            # (C2); once it is syncing, the member is already in the new generation.
            if expired and expired.group(2) == group and state == 'Syncing':
                events.append((at, 'member-expired-in-sync'))
            request = re.match(r'Broker \d+: Received (\w+)RequestV\d+ from', text)
            if request and request.group(1) == 'SyncGroup' and state == 'Up':
                events.append((at, 'late-sync'))
            if request and request.group(1) == 'OffsetCommit' and state == 'Joining':
                events.append((at, 'commit-while-joining'))
    # One entry per stretch of the same mechanism (a rebalance refuses every commit in it).
    merged = []
    for at, kind in events:
        if merged and merged[-1]['kind'] == kind:
            merged[-1]['until_ms'] = at
            merged[-1]['count'] += 1
        else:
            merged.append({'at_ms': at, 'until_ms': at, 'count': 1, 'kind': kind,
                           'disturbs': MOCK_MECHANISMS[kind][0], 'text': MOCK_MECHANISMS[kind][1]})
    return merged


def main():
    if len(sys.argv) != 2:
        print(__doc__.split('\n\n')[1], file=sys.stderr)
        return 2
    run_dir = sys.argv[1]
    # librdkafka logs of this process (the mock's debug log) go to stderr: keep them in a file.
    mock_log = os.open(os.path.join(run_dir, 'mock.log'), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(mock_log, 2)
    driver = Driver(run_dir)
    result_path = os.path.join(driver.dir, 'result.json')
    try:
        driver.setup()
        driver.run()
        result = driver.finish()
    except Exception:
        result = {'scenario': driver.plan.get('scenario'), 'error': traceback.format_exc()}
        driver.log('ERROR ' + traceback.format_exc())
        for p in driver.processes:
            if p.alive():
                p.popen.kill()
    with open(result_path, 'w') as f:
        json.dump(result, f, indent=1)
    print(json.dumps({'scenario': result.get('scenario'), 'result': result_path,
                      'error': result.get('error') is not None}))
    sys.stdout.flush()
    # The mock cluster and the clients of this process die with it.
    os._exit(0)


if __name__ == '__main__':
    sys.exit(main())
