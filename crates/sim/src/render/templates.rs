//! The fixed pieces of the exported Python script (helpers the generated code calls).

pub(crate) const PROCESS_PAYMENT: &str = r#"

def process_payment(msg):
    """The work: takes PROCESSING_S seconds. The payment's effect is recorded afterwards."""
    payment = msg.value().decode()
    attempt = state['attempts'][payment] = state['attempts'].get(payment, 0) + 1
    save_state()
    print(f'Processing payment {payment} (partition {msg.partition()}, offset {msg.offset()}, attempt {attempt})...')"#;

pub(crate) const EXCEPTIONS: &str = r#"

class TransientError(Exception):
    """A failure that can go away on a retry: a network error."""


class InvalidPayment(Exception):
    """A payment that can never succeed: invalid data."""
"#;

pub(crate) const WITH_RETRIES: &str = r#"

def with_retries(work, msg, attempts, backoff):
    """Runs work(msg); retries a TransientError, `attempts` attempts in all, the backoff doubling."""
    for attempt in range(1, attempts + 1):
        try:
            return work(msg)
        except TransientError as e:
            if attempt == attempts:
                raise
            print(f'{e}: retrying in {backoff} s')
            time.sleep(backoff)
            backoff *= 2
"#;

pub(crate) const LEDGER_HELPERS: &str = r#"

def effects():
    """The payment ids in the ledger, one per effect applied."""
    if not os.path.exists(LEDGER):
        return []
    with open(LEDGER) as ledger:
        return [line.strip() for line in ledger if line.strip()]
"#;

pub(crate) const LEDGER_RECORD: &str = r#"

def record_payment(msg):
    """The payment's effect (A3): one line in the ledger."""
    with open(LEDGER, 'a') as ledger:
        ledger.write(msg.value().decode() + '\n')
    print(f'Recorded {msg.value().decode()}')
"#;

pub(crate) const IDEMPOTENT_RECORD: &str = r#"

def record_payment(msg):
    """The payment's effect, idempotent: a payment id already in the ledger is not written again."""
    payment = msg.value().decode()
    if payment in effects():
        print(f'{payment} is already recorded: a redelivery, no second effect')
        return
    with open(LEDGER, 'a') as ledger:
        ledger.write(payment + '\n')
    print(f'Recorded {payment}')
"#;

pub(crate) const DB_HELPERS: &str = r#"

db = sqlite3.connect(DB)
db.execute('CREATE TABLE IF NOT EXISTS payments (payment TEXT)')
db.execute('CREATE TABLE IF NOT EXISTS offsets (topic TEXT, part INTEGER, next_offset INTEGER, PRIMARY KEY (topic, part))')


def effects():
    """The payment ids in the database, one per effect applied."""
    return [row[0] for row in db.execute('SELECT payment FROM payments')]


def record_payment_and_offset(msg):
    """E4: one database transaction writes the payment and the offset to resume at."""
    with db:
        db.execute('INSERT INTO payments VALUES (?)', (msg.value().decode(),))
        db.execute('INSERT OR REPLACE INTO offsets VALUES (?, ?, ?)', (msg.topic(), msg.partition(), msg.offset() + 1))
    print(f'Recorded {msg.value().decode()} and offset {msg.offset() + 1}')


def db_next_offset(topic, partition):
    """E4: where to resume a partition: the offset stored with its last payment."""
    row = db.execute('SELECT next_offset FROM offsets WHERE topic = ? AND part = ?', (topic, partition)).fetchone()
    # No row yet: OFFSET_INVALID makes assign() use the group's committed offset, then
    # auto.offset.reset (B9).
    return row[0] if row else OFFSET_INVALID
"#;

pub(crate) const REFUNDS_HELPERS: &str = r#"

def effects():
    """The refunds topic from the beginning, read as the downstream reader reads it (E2)."""
    reader = Consumer({
        'bootstrap.servers': BOOTSTRAP,
        **SECURITY,
        'group.id': 'offset-lab-report' + SUFFIX,
        'enable.auto.commit': False,
        'enable.partition.eof': True,
        'isolation.level': 'read_committed' if READ_COMMITTED else 'read_uncommitted',
    })
    partitions = reader.list_topics(REFUNDS, timeout=10).topics[REFUNDS].partitions
    reader.assign([TopicPartition(REFUNDS, p, OFFSET_BEGINNING) for p in partitions])
    found, done = [], set()
    while len(done) < len(partitions):
        msg = reader.poll(5.0)
        if msg is None:
            break
        if msg.error():
            if msg.error().code() == KafkaError._PARTITION_EOF:
                done.add(msg.partition())
            continue
        found.append(msg.value().decode())
    reader.close()
    return found
"#;

pub(crate) const REWIND: &str = r#"

def rewind(consumer):
    """E1: after an abort, seek back to the committed offsets, so the batch is read again."""
    for tp in consumer.committed(consumer.assignment(), timeout=10):
        if tp.offset < 0:
            tp.offset = RESET
        consumer.seek(tp)
"#;

pub(crate) const STATE_HELPERS: &str = r#"

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
    return True"#;

pub(crate) const SCRIPT_MAIN: &str = r#"if __name__ == '__main__':
    command = sys.argv[1] if len(sys.argv) > 1 else 'consume'
    if command == 'produce':
        produce()
    elif command == 'report':
        report()
    else:
        main()"#;
