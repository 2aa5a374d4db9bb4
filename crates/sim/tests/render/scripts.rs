//! The runnable scripts of the two lab programs, pinned whole.

use super::*;

#[test]
fn step1_autocommit_sleep7_script() {
    expect![[r##"
        #!/usr/bin/env python3
        """Offset Lab scenario "step1-autocommit-sleep7", consumer "consumer-1", as a runnable script.

        Step 1 — auto-commit, 7 s of processing, then sys.exit(1)

        The lab's Step 1 with a 7-second sleep. The auto-commit timer (every 5 s, started when
        the Consumer was constructed) fires in the background during the sleep and commits the
        offset that poll() already stored. sys.exit(1) then kills the consumer before the
        payment is recorded. The restarted consumer resumes after it: P-0001 is lost. Any
        7-second window contains a 5-second tick, so this happens at every phase of the timer,
        as long as the consumer is not in the middle of a rebalance and the coordinator is
        reachable when the tick comes: a tick is skipped then (B2, B5, F.1).

        How to run it against a real cluster:

            pip install confluent-kafka
            # a broker on localhost:9092, e.g.: docker run -d -p 9092:9092 apache/kafka
            python3 auto_commit_consumer.py produce   # create the topic, write 3 payments
            python3 auto_commit_consumer.py           # run the consumer (Ctrl-C to stop it)
            python3 auto_commit_consumer.py report    # how often each payment's effect was applied

        Optional environment: OFFSET_LAB_BOOTSTRAP (the brokers; localhost:9092),
        OFFSET_LAB_SUFFIX (appended to the group id and every topic name, so that students
        sharing a cluster do not collide), OFFSET_LAB_DIR (where the ledger, database and state
        files live; the current directory), OFFSET_LAB_SECURITY_PROTOCOL,
        OFFSET_LAB_SASL_MECHANISM, OFFSET_LAB_SASL_USERNAME, OFFSET_LAB_SASL_PASSWORD (added to
        every client's config when set), and OFFSET_LAB_START_AT (a Unix time in ms: the
        consumer waits until then before Consumer(), which starts its auto-commit timer).

        The scenario's broker has group.initial.rebalance.delay.ms=0 (C3). A broker's default is
        3000, and so is the apache/kafka image's: with 3000 the first assignment comes 3 s later
        and the timing of this run differs. Set it in the broker's configuration to match
        (server.properties; in the apache/kafka image, the environment variable
        KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS, given together with the image's other settings,
        which environment variables replace).

        Crash points and actions of consumer "consumer-1":

            1. Message 1, during processing (after the sleep, before the effect): sys.exit(1).
               The scenario restarts the consumer 1 s later: run the script again.

        A crash point at a program point is code in main(). Each fires once: the .state.json
        file counts the messages seen over restarts.

        To start over, delete consumer-1.state.json and ledger.txt, and the group's offsets:

            kafka-consumer-groups.sh --bootstrap-server localhost:9092 --delete --group payment-processor
        """

        import json
        import os
        import sys
        import time

        from confluent_kafka import Consumer, KafkaException, Producer
        from confluent_kafka.admin import AdminClient, NewTopic

        # Where to connect and where the files live: the scenario's values, unless the
        # environment says otherwise (see the docstring).
        BOOTSTRAP = os.environ.get('OFFSET_LAB_BOOTSTRAP', 'localhost:9092')
        SUFFIX = os.environ.get('OFFSET_LAB_SUFFIX', '')  # appended to the group id and every topic name
        DIR = os.environ.get('OFFSET_LAB_DIR', '.')  # the ledger, database and state files
        SECURITY = {key: os.environ[name] for key, name in [  # added to every client's config
            ('security.protocol', 'OFFSET_LAB_SECURITY_PROTOCOL'),
            ('sasl.mechanism', 'OFFSET_LAB_SASL_MECHANISM'),
            ('sasl.username', 'OFFSET_LAB_SASL_USERNAME'),
            ('sasl.password', 'OFFSET_LAB_SASL_PASSWORD'),
        ] if name in os.environ}


        def wait_for_start():
            """OFFSET_LAB_START_AT (a Unix time in ms): wait until then, so that Consumer() starts the
            auto-commit timer (B5) when the scenario's consumer starts."""
            start_at = os.environ.get('OFFSET_LAB_START_AT')
            if start_at:
                time.sleep(max(0.0, int(start_at) / 1000 - time.time()))


        CONSUMER = 'consumer-1'
        GROUP = 'payment-processor' + SUFFIX
        TOPIC = 'payments' + SUFFIX
        PARTITIONS = 1
        PAYMENTS = 3  # P-0001 … P-0003
        PROCESSING_S = 7.0
        LEDGER = os.path.join(DIR, 'ledger.txt')  # one line per payment applied: a duplicate shows up twice
        STATE = os.path.join(DIR, 'consumer-1.state.json')  # messages seen, attempts and crash points fired, over restarts


        def produce():
            """Creates the topics that do not exist yet, then writes the scenario's payments."""
            admin = AdminClient({'bootstrap.servers': BOOTSTRAP, **SECURITY})
            for topic, future in admin.create_topics([NewTopic(t, num_partitions=PARTITIONS, replication_factor=1) for t in [TOPIC]]).items():
                try:
                    future.result()
                except KafkaException as e:
                    print(topic, e)  # e.g. TOPIC_ALREADY_EXISTS
            producer = Producer({'bootstrap.servers': BOOTSTRAP, **SECURITY})
            # Round-robin over the partitions, as in the simulator.
            for n in range(1, PAYMENTS + 1):
                producer.produce(TOPIC, value=f'P-{n:04d}', partition=(n - 1) % PARTITIONS)
            producer.flush()
            print(f'produced {PAYMENTS} payments to {TOPIC}')


        def report():
            """How many times each payment's effect was applied: 0 = lost, 2 or more = duplicated."""
            counts = {}
            for payment in effects():
                counts[payment] = counts.get(payment, 0) + 1
            for n in range(1, PAYMENTS + 1):
                payment = f'P-{n:04d}'
                times = counts.get(payment, 0)
                print(payment, times, {0: 'LOST (or not processed yet)', 1: 'once'}.get(times, 'DUPLICATE'))


        def effects():
            """The payment ids in the ledger, one per effect applied."""
            if not os.path.exists(LEDGER):
                return []
            with open(LEDGER) as ledger:
                return [line.strip() for line in ledger if line.strip()]


        def record_payment(msg):
            """The payment's effect (A3): one line in the ledger."""
            with open(LEDGER, 'a') as ledger:
                ledger.write(msg.value().decode() + '\n')
            print(f'Recorded {msg.value().decode()}')


        class TransientError(Exception):
            """A failure that can go away on a retry: a network error."""


        class InvalidPayment(Exception):
            """A payment that can never succeed: invalid data."""


        def process_payment(msg):
            """The work: takes PROCESSING_S seconds. The payment's effect is recorded afterwards."""
            payment = msg.value().decode()
            attempt = state['attempts'][payment] = state['attempts'].get(payment, 0) + 1
            save_state()
            print(f'Processing payment {payment} (partition {msg.partition()}, offset {msg.offset()}, attempt {attempt})...')
            time.sleep(PROCESSING_S)


        def load_state():
            if os.path.exists(STATE):
                with open(STATE) as f:
                    return json.load(f)
            return {'seen': 0, 'attempts': {}, 'fired': []}


        state = load_state()


        def save_state():
            with open(STATE, 'w') as f:
                json.dump(state, f)


        def count_messages(n):
            """Counts n more messages returned by poll(); returns the count over all runs."""
            state['seen'] += n
            save_state()
            return state['seen']


        def fire(ix):
            """True the first time crash point ix is reached: a crash point fires once, over restarts."""
            if ix in state['fired']:
                return False
            state['fired'].append(ix)
            save_state()
            return True


        def main():
            print(f'{CONSUMER}: pid {os.getpid()}, {state["seen"]} messages seen before')
            wait_for_start()  # OFFSET_LAB_START_AT, if set: the auto-commit timer starts at Consumer() (B5)
            consumer = Consumer({
                'bootstrap.servers': BOOTSTRAP,
                **SECURITY,
                'group.id': GROUP,
                'enable.auto.commit': True,  # B5: a background timer commits the stored offsets
                'auto.commit.interval.ms': 5000,  # B5: every 5 s from Consumer(), not from poll()
                'auto.offset.reset': 'earliest',  # B9: where to start without a committed offset
            })
            consumer.subscribe([TOPIC])

            while True:
                msg = consumer.poll(1.0)  # B2: stores the offset as it returns
                if msg is None:
                    continue
                if msg.error():
                    print(msg.error())
                    continue
                seq = count_messages(1)
                process_payment(msg)  # takes 7 s
                if seq == 1 and fire(0):
                    print('crash point 1: message 1, during processing (after the sleep, before the effect): sys.exit(1)')
                    sys.exit(1)  # B12: no close(): no final commit, no LeaveGroup
                record_payment(msg)  # A3: the payment's effect, one ledger entry


        if __name__ == '__main__':
            command = sys.argv[1] if len(sys.argv) > 1 else 'consume'
            if command == 'produce':
                produce()
            elif command == 'report':
                report()
            else:
                main()
    "##]].assert_eq(&render::python_script(&preset("step1-autocommit-sleep7").unwrap(), 0));
}

#[test]
fn step2_manual_commit_script() {
    expect![[r##"
        #!/usr/bin/env python3
        """Offset Lab scenario "step2-manual-commit", consumer "consumer-1", as a runnable script.

        Step 2 — manual commit after processing, crash before the commit

        enable.auto.commit=false: the committed offset moves only when the program commits, and
        it commits each payment only after recording it. The consumer crashes after recording
        P-0002 but before committing it. The restarted consumer resumes at the last commit, so
        P-0002 is processed again: a duplicate, never a loss. This is at-least-once (A3, B6).

        How to run it against a real cluster:

            pip install confluent-kafka
            # a broker on localhost:9092, e.g.: docker run -d -p 9092:9092 apache/kafka
            python3 manual_commit_consumer.py produce   # create the topic, write 5 payments
            python3 manual_commit_consumer.py           # run the consumer (Ctrl-C to stop it)
            python3 manual_commit_consumer.py report    # how often each payment's effect was applied

        Optional environment: OFFSET_LAB_BOOTSTRAP (the brokers; localhost:9092),
        OFFSET_LAB_SUFFIX (appended to the group id and every topic name, so that students
        sharing a cluster do not collide), OFFSET_LAB_DIR (where the ledger, database and state
        files live; the current directory), OFFSET_LAB_SECURITY_PROTOCOL,
        OFFSET_LAB_SASL_MECHANISM, OFFSET_LAB_SASL_USERNAME, OFFSET_LAB_SASL_PASSWORD (added to
        every client's config when set), and OFFSET_LAB_START_AT (a Unix time in ms: the
        consumer waits until then before Consumer(), which starts its auto-commit timer).

        The scenario's broker has group.initial.rebalance.delay.ms=0 (C3). A broker's default is
        3000, and so is the apache/kafka image's: with 3000 the first assignment comes 3 s later
        and the timing of this run differs. Set it in the broker's configuration to match
        (server.properties; in the apache/kafka image, the environment variable
        KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS, given together with the image's other settings,
        which environment variables replace).

        Crash points and actions of consumer "consumer-1":

            1. Message 2, right after its effect: sys.exit(1). The scenario restarts the
               consumer 1 s later: run the script again.

        A crash point at a program point is code in main(). Each fires once: the .state.json
        file counts the messages seen over restarts.

        To start over, delete consumer-1.state.json and ledger.txt, and the group's offsets:

            kafka-consumer-groups.sh --bootstrap-server localhost:9092 --delete --group payment-processor
        """

        import json
        import os
        import sys
        import time

        from confluent_kafka import Consumer, KafkaException, Producer
        from confluent_kafka.admin import AdminClient, NewTopic

        # Where to connect and where the files live: the scenario's values, unless the
        # environment says otherwise (see the docstring).
        BOOTSTRAP = os.environ.get('OFFSET_LAB_BOOTSTRAP', 'localhost:9092')
        SUFFIX = os.environ.get('OFFSET_LAB_SUFFIX', '')  # appended to the group id and every topic name
        DIR = os.environ.get('OFFSET_LAB_DIR', '.')  # the ledger, database and state files
        SECURITY = {key: os.environ[name] for key, name in [  # added to every client's config
            ('security.protocol', 'OFFSET_LAB_SECURITY_PROTOCOL'),
            ('sasl.mechanism', 'OFFSET_LAB_SASL_MECHANISM'),
            ('sasl.username', 'OFFSET_LAB_SASL_USERNAME'),
            ('sasl.password', 'OFFSET_LAB_SASL_PASSWORD'),
        ] if name in os.environ}


        def wait_for_start():
            """OFFSET_LAB_START_AT (a Unix time in ms): wait until then, so that Consumer() starts the
            auto-commit timer (B5) when the scenario's consumer starts."""
            start_at = os.environ.get('OFFSET_LAB_START_AT')
            if start_at:
                time.sleep(max(0.0, int(start_at) / 1000 - time.time()))


        CONSUMER = 'consumer-1'
        GROUP = 'payment-processor' + SUFFIX
        TOPIC = 'payments' + SUFFIX
        PARTITIONS = 1
        PAYMENTS = 5  # P-0001 … P-0005
        PROCESSING_S = 1.0
        LEDGER = os.path.join(DIR, 'ledger.txt')  # one line per payment applied: a duplicate shows up twice
        STATE = os.path.join(DIR, 'consumer-1.state.json')  # messages seen, attempts and crash points fired, over restarts


        def produce():
            """Creates the topics that do not exist yet, then writes the scenario's payments."""
            admin = AdminClient({'bootstrap.servers': BOOTSTRAP, **SECURITY})
            for topic, future in admin.create_topics([NewTopic(t, num_partitions=PARTITIONS, replication_factor=1) for t in [TOPIC]]).items():
                try:
                    future.result()
                except KafkaException as e:
                    print(topic, e)  # e.g. TOPIC_ALREADY_EXISTS
            producer = Producer({'bootstrap.servers': BOOTSTRAP, **SECURITY})
            # Round-robin over the partitions, as in the simulator.
            for n in range(1, PAYMENTS + 1):
                producer.produce(TOPIC, value=f'P-{n:04d}', partition=(n - 1) % PARTITIONS)
            producer.flush()
            print(f'produced {PAYMENTS} payments to {TOPIC}')


        def report():
            """How many times each payment's effect was applied: 0 = lost, 2 or more = duplicated."""
            counts = {}
            for payment in effects():
                counts[payment] = counts.get(payment, 0) + 1
            for n in range(1, PAYMENTS + 1):
                payment = f'P-{n:04d}'
                times = counts.get(payment, 0)
                print(payment, times, {0: 'LOST (or not processed yet)', 1: 'once'}.get(times, 'DUPLICATE'))


        def effects():
            """The payment ids in the ledger, one per effect applied."""
            if not os.path.exists(LEDGER):
                return []
            with open(LEDGER) as ledger:
                return [line.strip() for line in ledger if line.strip()]


        def record_payment(msg):
            """The payment's effect (A3): one line in the ledger."""
            with open(LEDGER, 'a') as ledger:
                ledger.write(msg.value().decode() + '\n')
            print(f'Recorded {msg.value().decode()}')


        class TransientError(Exception):
            """A failure that can go away on a retry: a network error."""


        class InvalidPayment(Exception):
            """A payment that can never succeed: invalid data."""


        def process_payment(msg):
            """The work: takes PROCESSING_S seconds. The payment's effect is recorded afterwards."""
            payment = msg.value().decode()
            attempt = state['attempts'][payment] = state['attempts'].get(payment, 0) + 1
            save_state()
            print(f'Processing payment {payment} (partition {msg.partition()}, offset {msg.offset()}, attempt {attempt})...')
            time.sleep(PROCESSING_S)


        def load_state():
            if os.path.exists(STATE):
                with open(STATE) as f:
                    return json.load(f)
            return {'seen': 0, 'attempts': {}, 'fired': []}


        state = load_state()


        def save_state():
            with open(STATE, 'w') as f:
                json.dump(state, f)


        def count_messages(n):
            """Counts n more messages returned by poll(); returns the count over all runs."""
            state['seen'] += n
            save_state()
            return state['seen']


        def fire(ix):
            """True the first time crash point ix is reached: a crash point fires once, over restarts."""
            if ix in state['fired']:
                return False
            state['fired'].append(ix)
            save_state()
            return True


        def main():
            print(f'{CONSUMER}: pid {os.getpid()}, {state["seen"]} messages seen before')
            wait_for_start()  # OFFSET_LAB_START_AT, if set: the auto-commit timer starts at Consumer() (B5)
            consumer = Consumer({
                'bootstrap.servers': BOOTSTRAP,
                **SECURITY,
                'group.id': GROUP,
                'enable.auto.commit': False,  # only the program commits (B6), not even close() (B11)
                'auto.offset.reset': 'earliest',  # B9: where to start without a committed offset
            })
            consumer.subscribe([TOPIC])

            while True:
                msg = consumer.poll(1.0)  # B2: stores the offset as it returns
                if msg is None:
                    continue
                if msg.error():
                    print(msg.error())
                    continue
                seq = count_messages(1)
                process_payment(msg)  # takes 1 s
                record_payment(msg)  # A3: the payment's effect, one ledger entry
                if seq == 2 and fire(0):
                    print('crash point 1: message 2, right after its effect: sys.exit(1)')
                    sys.exit(1)  # B12: no close(): no final commit, no LeaveGroup
                try:
                    consumer.commit(message=msg, asynchronous=False)  # B6: commits msg.offset() + 1 and waits
                except KafkaException as e:
                    print(e)  # e.g. UNKNOWN_MEMBER_ID (B14): logged, the loop goes on


        if __name__ == '__main__':
            command = sys.argv[1] if len(sys.argv) > 1 else 'consume'
            if command == 'produce':
                produce()
            elif command == 'report':
                report()
            else:
                main()
    "##]].assert_eq(&render::python_script(&preset("step2-manual-commit").unwrap(), 0));
}
