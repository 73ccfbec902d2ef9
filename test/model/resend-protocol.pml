/*
 * resend-relay: a Promela model of the request protocol, checked by spin (scripts/model-check.sh).
 *
 * What is modelled, step by step, with the name of the function or SQL statement each step stands for:
 *   Intake (IntakeService.receiveBatch, READ COMMITTED transactions per fetched batch of one partition)
 *     first, for a batch whose keyIds differ (freshRequests): insertNewRequests (INSERT ... ON CONFLICT DO
 *     NOTHING: the unique indexes turn away a request recorded before and one whose keyId a live request
 *     holds, after waiting for an uncommitted row of another intake) -> claimRecordedRequests -> COMMIT,
 *     one transaction; a crash may follow it. Then the full decision of the whole batch (what the first
 *     transaction recorded counts as recorded before; the code sends it only what was turned away):
 *     selectRecordedAndLockLive (one statement: recorded rows, and SELECT ... key_id = ANY($5) AND status IN live FOR UPDATE)
 *     -> decideIntake (pure) -> insertRequests (INSERT; a unique violation — a row a concurrent intake
 *     inserted first — rolls the whole batch back and retries it) -> claimRecordedRequests when the
 *     instance's worker has free call slots (the new requests in progress, in flight, under a lease:
 *     what claimAndMarkInFlight does for a first call) -> outbox rows -> COMMIT -> resolveOffset;
 *     OffsetCommitter commits resolved offsets later (on its timer), so a crash re-reads every batch after the last commit.
 *   Submission worker (SubmissionWorker, any number of instances; each may crash between any two steps)
 *     a request intake claimed for it (its call, after intake's COMMIT), or claimAndMarkInFlight (one UPDATE ... FOR UPDATE SKIP LOCKED: in_progress, fresh fencing token,
 *     outcome_unknown = true, RETURNING the previous outcome_unknown as was_unknown)
 *     -> findTasksByName when was_unknown -> resendAi -> finishRequestsAndReport (fenced UPDATE and its
 *     outcome event, one statement; a request that would end while its has_repeats is set is left as
 *     it is) -> for such a request, finishRequests (the same fenced UPDATE and event, then answerRepeats
 *     as a separate statement of the same transaction). has_repeats is set by a trigger in the
 *     transaction that records a repeat.
 *   Publish-on-commit (ResultRecorder -> OutboxWriter afterCommit -> WriterPublication.publish): after finishRequestsAndReport commits,
 *     the worker may publish the outcome event it wrote (held for it: relays leave the row alone for a
 *     while) from memory, then mark it published; what it publishes is checked, its effects are the relay's.
 *   Outbox relay (OutboxRelay.publishBatch): claim unpublished rows, publish, mark published, COMMIT.
 *   Provider: one task per accepted call; lookups by task name.
 *
 * Each SQL transaction's writes are applied at its COMMIT (nothing uncommitted is visible to others);
 * row locks and unique-index entries of open transactions are modelled explicitly where another
 * transaction can wait on them.
 *
 * Compile-time switches (-D...):
 *   CONFIG_LARGE        more requests (for the bit-state run, off CI)
 *   MAX_FAULTS=n        bound on crashes, lease expiries, lost answers, retryable errors, failed lookups
 *   NAME_GUARD          the provider refuses a second task with the same name (-41); off by default: the
 *                       protocol must not rely on it
 *   EXPIRE_ANYWHERE     a worker's lease may expire before its call reaches the provider (drops the
 *                       timing assumption: lease > time from claim to the provider receiving the call)
 *   BUG_NO_LOOKUP       bug variant 1: retry the call after an unknown outcome without a lookup
 *   BUG_NO_FENCING      bug variant 2: finishRequests updates WHERE id = $1 only (no status, no lease owner)
 *   BUG_SNAPSHOT        bug variant 3: the fenced UPDATE decides by what was committed when its statement
 *                       started: has_repeats (finishRequestsAndReport) and the repeats to answer (answerRepeats
 *                       in the same statement)
 *   BUG_NO_REPEAT_FLAG  bug variant 4: a repeat recorded without setting its original's has_repeats
 *   BUG_CLAIM_AT_INTAKE_NO_MARK  bug variant 5: claimRecordedRequests without the in-flight mark
 *   BUG_PUBLISH_UNWRITTEN  bug variant 6: publish-on-commit publishes every event it built, also those
 *                       the fenced statement did not write (a lease lost)
 *   BUG_SHARED_LEASE_OWNER  bug variant 8: both workers claim with the same lease owner (two processes with
 *                       one INSTANCE_ID and a claim counter each, without the per-process token)
 *   BUG_UNKNOWN_FROM_COMMITTED_FINISH  bug variant 7: -41/-20 after a lookup that found nothing is read as
 *                       "ours, look again" only if a committed finish recorded an unknown outcome
 *                       (had_unknown_outcome), not when the claim found the in-flight mark set (was_unknown):
 *                       after a crash or a lost lease mid-call the request fails although its task exists
 *   BUG_NO_KEY_ORDER    bug variant 10: the relay claims any unpublished row, also one an earlier unpublished
 *                       row of its key (and topic) must precede
 *   BUG_EVENT_PER_REQUEST  bug variant 9: the group statement writes the event of every call of a request
 *                       it changed — also of a stale call (its lease lost) whose result waits in the same
 *                       group as the call that holds the lease now
 *   LATE_CALLS          a call the client gives up on (a timeout) may still be processed by the provider later
 *                       (a task created, or the call dropped), at any moment; the lookup believes "not found"
 *                       only once no such call of the request is pending (the settle delay,
 *                       ITNIOTECH_LOOKUP_SETTLE_MS: its timing assumption is that the provider processes or
 *                       drops a call within it)
 *   BUG_NO_SETTLE_DELAY  bug variant 11 (with LATE_CALLS): the lookup believes "not found" at once
 *   NO_LOOKUP_ORDER_ASSERT  leaves out the "lookup before a new call" assertion (to see what bug 1 leads to)
 *   NO_DUPLICATES_ANSWERED_ASSERT  leaves out the "a final request leaves no duplicate unanswered" assertion
 *                       (to see what bug 3 leads to: a duplicate that never gets an outcome)
 *   CONFIG_ONE_KEY      one keyId, three requests (a smaller configuration for more faults)
 */

/* ---------------- configuration: the messages on the requested topic ---------------- */
/* request r: keyOf(r), payloadOf(r) (its task name is (key, payload)), partition, offset */
#define NKEY 2
#define NPART 2
#if defined(CONFIG_LARGE)
/* p0: r0 (k0,A)  r3 (k1,A)  r4 (k0,A) ;  p1: r1 (k0,A) repeat,  r2 (k0,B) conflict,  r5 (k1,A) repeat */
#define NREQ 6
#define keyOf(r)     ((r) == 3 || (r) == 5 -> 1 : 0)
#define payloadOf(r) ((r) == 2 -> 1 : 0)
#define LEN(p)       3
#define msg(p, i)    ((p) == 0 -> ((i) == 0 -> 0 : ((i) == 1 -> 3 : 4)) : ((i) == 0 -> 1 : ((i) == 1 -> 2 : 5)))
#elif defined(CONFIG_ONE_KEY)
/* p0: r0 (k0,A) ;  p1: r1 (k0,A) a repeat of r0,  r2 (k0,B) a conflicting payload */
#define NREQ 3
#define keyOf(r)     0
#define payloadOf(r) ((r) == 2 -> 1 : 0)
#define LEN(p)       ((p) == 0 -> 1 : 2)
#define msg(p, i)    ((p) == 0 -> 0 : ((i) == 0 -> 1 : 2))
#else
/* p0: r0 (k0,A)  r3 (k1,A) ;  p1: r1 (k0,A) a repeat of r0,  r2 (k0,B) a conflicting payload */
#define NREQ 4
#define keyOf(r)     ((r) == 3 -> 1 : 0)
#define payloadOf(r) ((r) == 2 -> 1 : 0)
#define LEN(p)       2
#define msg(p, i)    ((p) == 0 -> ((i) == 0 -> 0 : 3) : ((i) == 0 -> 1 : 2))
#endif
#define nameOf(r)    (keyOf(r) * 2 + payloadOf(r))

#ifndef MAX_FAULTS
#define MAX_FAULTS 2
#endif

/* ---------------- state ---------------- */
/* resend_request.status */
#define NONE      0
#define PENDING   1
#define INPROG    2
#define COMPLETED 3
#define FAILED    4
#define DUPLICATE 5
#define isLive(r)  (status[r] == PENDING || status[r] == INPROG || status[r] == COMPLETED)
#define isFinal(r) (status[r] == COMPLETED || status[r] == FAILED || status[r] == DUPLICATE)

byte status[NREQ];
bit  outcomeUnknown[NREQ];  /* outcome_unknown: a call may have created a task we did not hear of */
bit  leaseExpired[NREQ];    /* lease_expires_at < now() */
byte leaseOwner[NREQ];      /* lease_owner: the fencing token of the latest claim (TOKEN: the worker's _pid + 1) */
byte dupOf[NREQ];           /* duplicate_of + 1 (0 = null) */
bit  hasRepeats[NREQ];      /* has_repeats: a repeat was recorded to wait for the request's outcome */
byte lockedRow[NKEY];       /* row lock (FOR UPDATE) of an open intake on the key's live row: row + 1 */
byte lockOwner[NKEY];       /* ... held by intake of partition lockOwner - 1 */
byte reservedBy[NKEY];      /* an uncommitted INSERT of a live row (its unique-index entry): partition + 1 */
byte ev[NREQ];              /* outbox_event of the request: 0 none, COMPLETED or FAILED */
byte evCount[NREQ];         /* outcome events written for the request (event ids) */
bit  published[NREQ];       /* outbox_event.published_at is set */
byte pubCount[NREQ];        /* copies of the event id published to Kafka (a multiset), saturating at 2 */
byte evOrder[NREQ];         /* outbox_event.seq among the events of the request's key: the order they were written */
byte keyEvents[NKEY];       /* events written for the key so far */
byte tasks[NREQ];           /* provider tasks created by calls for the request */
bit  nameHasTask[NKEY * 2]; /* the provider holds a task with this name (what findTasksByName finds) */
bit  unresolved[NREQ];      /* ghost: a call was made whose result is neither recorded nor looked up */
bit  intakeDone[NPART];     /* every message of the partition recorded and its offset committed */
bit  handedOff[NREQ];       /* claimed by intake's transaction for a worker, whose call has not started yet */
#ifdef BUG_UNKNOWN_FROM_COMMITTED_FINISH
bit  hadUnknown[NREQ];      /* had_unknown_outcome: set only by a committed finish that recorded an unknown outcome */
#endif
#ifdef LATE_CALLS
bit  latePending[NREQ];     /* a call of the request the client gave up on, which the provider has not processed yet */
#endif
byte faults = MAX_FAULTS;
#ifdef BUG_EVENT_PER_REQUEST
/*
 * A worker's finished call waiting to be recorded (at finish): its request + 1 and its target, by _pid.
 * ResultRecorder groups the results that wait into one statement. Without the bug a group's statement
 * is each call's own fenced statement, in turn (every change is fenced by its own lease, and writes
 * only its own event), so the model records each call by itself; with it, a call that holds the lease
 * also writes the events of the other calls of its request that wait with it.
 */
#define NPROC 7
byte waitingRequest[NPROC];
byte waitingTarget[NPROC];
#endif

#define rowLocked(r) (lockedRow[keyOf(r)] == (r) + 1)

/* ---------------- properties ---------------- */
#define requestDone(r) (isFinal(r) && ev[r] != 0 && pubCount[r] > 0)
#define forAll3(P) (P(0) && P(1) && P(2))
#if defined(CONFIG_LARGE)
#define forAll(P) (forAll3(P) && P(3) && P(4) && P(5))
#elif defined(CONFIG_ONE_KEY)
#define forAll(P) forAll3(P)
#else
#define forAll(P) (forAll3(P) && P(3))
#endif
#define allFinal forAll(isFinal)
#define allRequestsDone forAll(requestDone)
#define done (intakeDone[0] && intakeDone[1] && allRequestsDone)

/* Every request eventually reaches a final state and has its outcome event (one id) published. */
ltl every_request_ends { <> done }

/* At most one provider task per keyId among live requests (checked whenever a task is created). */
inline assertOneTaskPerKey(k) {
  cnt = 0;
  for (i : 0 .. NREQ - 1) {
    if
    :: keyOf(i) == k && isLive(i) -> cnt = cnt + tasks[i]
    :: else
    fi
  }
  assert(cnt <= 1) /* ONE_TASK_PER_KEY */
}

/*
 * NO_FAILURE_WITH_TASK (asserted where finishRequests writes a final state): a -41/-20 answer is never
 * recorded as the request's failure while the task holding the name was made by a call of this very
 * request. Any other failure may still meet a task of its own made later by a stalled worker's call
 * (EXPIRE_ANYWHERE): that is the timing assumption, not a decision of ours.
 */

/* An outcome event is written once per request: one final state, one event id. */
inline writeOutcomeEvent(r, kind) {
  evCount[r]++;
  assert(evCount[r] == 1); /* ONE_OUTCOME_PER_REQUEST */
  ev[r] = kind;
  evOrder[r] = keyEvents[keyOf(r)]; keyEvents[keyOf(r)]++
}

/* q's event is of r's topic and key, and was written before r's */
#define earlierOfKey(q, r) (keyOf(q) == keyOf(r) && ev[q] == ev[r] && evOrder[q] < evOrder[r])
/* the claim skips r while an earlier row of its topic and key is unpublished (outbox-key-order.ts) */
#define notBehind(q, r) (!earlierOfKey(q, r) || published[q])
#if defined(CONFIG_LARGE)
#define inKeyOrder(r) (notBehind(0, r) && notBehind(1, r) && notBehind(2, r) && notBehind(3, r) && notBehind(4, r) && notBehind(5, r))
#elif defined(CONFIG_ONE_KEY)
#define inKeyOrder(r) (notBehind(0, r) && notBehind(1, r) && notBehind(2, r))
#else
#define inKeyOrder(r) (notBehind(0, r) && notBehind(1, r) && notBehind(2, r) && notBehind(3, r))
#endif

/* The first copy of r's event reaches Kafka after a copy of every earlier event of its topic and key. */
inline assertKeyOrder(r) {
  for (i : 0 .. NREQ - 1) {
    assert(!(pubCount[r] == 0 && earlierOfKey(i, r) && pubCount[i] == 0)) /* EVENTS_IN_KEY_ORDER */
  }
  i = 0
}

/*
 * Publish-on-commit (WriterPublication.publish), after the COMMIT of finishRequestsAndReport: the worker
 * publishes the event it wrote from memory (no claim), then marks it published — or leaves it to the
 * relays (busy; its publication failed and released the row; a crash before or after publishing; a
 * failed mark), which take it once the hold has passed and publish the same id. What it may publish is
 * checked here, at the commit. Its effects are left to the model's relay: they touch only the row's
 * published_at and the copies of its id in Kafka, which nothing but the relay reads, and "published
 * and marked by its writer" ends in the state "published and marked by a relay" does (a second copy,
 * a writer's publication without its mark, only adds to the multiset the relay's own crash path adds
 * to). So the state space stays that of the relay alone (a reduction by hand, like the relay's).
 */
inline publishOnCommit(r, kind) {
  assert(ev[r] == kind) /* NO_OUTCOME_FOR_ROLLED_BACK_STATE: it publishes only what its statement wrote */
}

/* ---------------- provider ---------------- */
inline createTask(r) {
  tasks[r]++;
  nameHasTask[nameOf(r)] = 1;
  assertOneTaskPerKey(keyOf(r))
}

/* ---------------- intake ---------------- */
/* the fetched batch (offsets next .. last - 1 of partition p) holds a message for key k */
#define inBatchAt(k, i) (next <= (i) && (i) < last && keyOf(msg(p, i)) == (k))
#define inBatch(k) (inBatchAt(k, 0) || inBatchAt(k, 1) || inBatchAt(k, 2))
/* freshRequests: no two messages of the batch share a keyId (nor, then, a request) */
#define twoOfKey(k) ((inBatchAt(k, 0) && inBatchAt(k, 1)) || (inBatchAt(k, 0) && inBatchAt(k, 2)) || (inBatchAt(k, 1) && inBatchAt(k, 2)))
#define batchKeysDistinct (!twoOfKey(0) && !twoOfKey(1))

/* a new request m: claimed for the worker (in progress, marked in flight, under its lease), or pending */
inline recordNew(m) {
  if
  :: claimNew ->
    status[m] = INPROG; leaseExpired[m] = 0; leaseOwner[m] = 0; handedOff[m] = 1;
#ifndef BUG_CLAIM_AT_INTAKE_NO_MARK
    outcomeUnknown[m] = 1
#endif
  :: else -> status[m] = PENDING
  fi
}
proctype Intake(byte p) {
  byte next, last, i, m, r, k, cnt, live;
  bit claimNew;        /* the worker has free call slots: the batch's new requests are claimed with it */
  bit mine[NKEY];      /* a live row of the key is locked by this transaction */
  bit insertKey[NKEY]; /* this transaction inserts a pending row for the key */

nextBatch:
  do
  :: next == LEN(p) ->
    /* the timer's commit of the last offsets, or a crash before it */
    if
    :: intakeDone[p] = 1; break
    :: atomic { faults > 0 -> faults--; next = 0 }
    fi
  :: next < LEN(p) ->
    /* the consumer fetches a batch: the next message alone, or all the rest of the partition */
    if
    :: last = next + 1
    :: next + 1 < LEN(p) -> last = LEN(p)
    fi;
    /* recordNewPatiently: insertNewRequests + claimRecordedRequests + COMMIT, one transaction */
    if
    :: skip /* not offered, or it failed and rolled back: the full decision takes the whole batch */
    :: batchKeysDistinct ->
      if
      :: claimNew = 0
      :: claimNew = 1
      fi;
      atomic {
        /* the INSERT waits for an uncommitted row of another intake in the unique index */
        (!inBatch(0) || reservedBy[0] == 0) && (!inBatch(1) || reservedBy[1] == 0);
        for (i : next .. last - 1) {
          m = msg(p, i); k = keyOf(m);
          if
          :: status[m] != NONE -> skip /* recorded before: turned away (requestId, Kafka position) */
          :: else ->
            live = 0;
            for (r : 0 .. NREQ - 1) {
              if :: keyOf(r) == k && isLive(r) -> live = r + 1 :: else fi
            }
            if
            :: live == 0 -> recordNew(m)
            :: else -> skip /* turned away: a live request holds the keyId */
            fi
          fi
        }
        i = 0; m = 0; k = 0; r = 0; live = 0; claimNew = 0
      };
      /* a crash before the full decision: no offset resolved, the whole batch is read again */
      if
      :: skip
      :: atomic { faults > 0 -> faults--; next = 0; last = 0 }; goto nextBatch
      fi
    fi;
    /* the full decision, for what is left: messages recorded above count as recorded before */
retry:
    /* selectRecordedAndLockLive: waits while another transaction holds a batch key's live row */
    atomic {
      (!inBatch(0) || lockedRow[0] == 0) && (!inBatch(1) || lockedRow[1] == 0);
      for (i : next .. last - 1) {
        m = msg(p, i); k = keyOf(m);
        if
        :: status[m] != NONE -> skip /* recorded before: a redelivery, ignored */
        :: else ->
          live = 0;
          for (r : 0 .. NREQ - 1) {
            if :: keyOf(r) == k && isLive(r) -> live = r + 1 :: else fi
          }
          if
          :: live != 0 && !mine[k] -> lockedRow[k] = live; lockOwner[k] = p + 1; mine[k] = 1
          :: live == 0 -> insertKey[k] = 1
          :: else
          fi
        fi
      }
      r = 0; m = 0; k = 0; live = 0
    };
    /* insertRequests: INSERT waits for an uncommitted row of another transaction in the unique
       index; if that row commits, the unique violation rolls the batch back and retries it */
    atomic {
      (!insertKey[0] || reservedBy[0] == 0) && (!insertKey[1] || reservedBy[1] == 0);
      cnt = 0;
      for (r : 0 .. NREQ - 1) {
        if :: insertKey[keyOf(r)] && isLive(r) -> cnt++ :: else fi
      }
      if
      :: cnt > 0 -> /* ROLLBACK: release the row locks, then the batch again */
        for (k : 0 .. NKEY - 1) {
          if :: mine[k] -> lockedRow[k] = 0; lockOwner[k] = 0; mine[k] = 0 :: else fi;
          insertKey[k] = 0
        }
        cnt = 0; r = 0; k = 0;
        goto retry
      :: else ->
        for (k : 0 .. NKEY - 1) {
          if :: insertKey[k] -> reservedBy[k] = p + 1 :: else fi
        }
        cnt = 0; r = 0; k = 0
      fi
    };
    if
    :: claimNew = 0
    :: claimNew = 1
    fi;
    /* decideIntake (pure, in partition order) + claimRecordedRequests + outbox rows + COMMIT: all writes become visible */
    d_step {
      for (i : next .. last - 1) {
        m = msg(p, i); k = keyOf(m);
        if
        :: status[m] != NONE -> skip /* recorded before */
        :: else ->
          live = 0;
          for (r : 0 .. NREQ - 1) {
            if :: keyOf(r) == k && isLive(r) -> live = r + 1 :: else fi
          }
          if
          :: live == 0 -> recordNew(m) /* new request */
          :: live != 0 && payloadOf(live - 1) == payloadOf(m) ->
            status[m] = DUPLICATE; dupOf[m] = live;
            if
            :: status[live - 1] == COMPLETED -> writeOutcomeEvent(m, COMPLETED) /* answered now */
            :: else /* waits for the mirror event written by the original's finishRequests */
#ifndef BUG_NO_REPEAT_FLAG
              hasRepeats[live - 1] = 1 /* the trigger, in this transaction */
#endif
            fi
          :: live != 0 && payloadOf(live - 1) != payloadOf(m) ->
            status[m] = FAILED; dupOf[m] = live; writeOutcomeEvent(m, FAILED) /* conflict */
          fi
        fi
      }
      for (k : 0 .. NKEY - 1) {
        if :: mine[k] -> lockedRow[k] = 0; lockOwner[k] = 0; mine[k] = 0 :: else fi;
        if :: insertKey[k] -> reservedBy[k] = 0; insertKey[k] = 0 :: else fi
      }
      i = 0; m = 0; k = 0; r = 0; live = 0; claimNew = 0
    };
    /*
     * resolveOffset; OffsetCommitter commits on its timer, and a crash re-reads everything after the
     * last commit. Modelled as no commit before the end: a crash re-reads the whole partition. An
     * earlier commit only shortens what is re-read, and re-reading recorded messages changes nothing.
     */
    next = last; last = 0;
    if
    :: skip
    :: atomic { faults > 0 -> faults--; next = 0 }
    fi
  od
}

/* ---------------- submission worker ---------------- */
#define claimable(r) ((status[r] == PENDING || (status[r] == INPROG && leaseExpired[r])) && !rowLocked(r))
/*
 * The fencing token: the worker's process id, unique among the model's workers as the code's lease
 * owner is unique among processes (leaseOwnerSequence: a random token per process, then the claim
 * number). Two processes with the same token — replicas sharing an INSTANCE_ID, a reused
 * hostname-pid, before that token existed — are bug variant BUG_SHARED_LEASE_OWNER.
 */
#ifdef BUG_SHARED_LEASE_OWNER
#define TOKEN 1
/* who really holds the lease (a ghost): a crash or a stall ends only its own lease, whatever the token says */
byte holder[NREQ];
#define takeLease(r) leaseOwner[r] = TOKEN; holder[r] = _pid + 1
#define holdsLease   (status[r] == INPROG && holder[r] == _pid + 1)
#else
#define TOKEN (_pid + 1)
#define takeLease(r) leaseOwner[r] = TOKEN
#define holdsLease   (status[r] == INPROG && leaseOwner[r] == TOKEN)
#endif

#ifdef BUG_NO_FENCING
#define fenced (true)
#else
#define fenced (status[r] == INPROG && leaseOwner[r] == TOKEN)
#endif

/* A crash: local state is lost; the lease it held expires later (nobody can use it before that). */
#define CRASH atomic { faults > 0 -> faults--; if :: holdsLease -> leaseExpired[r] = 1 :: else fi; forget }; goto end
/* local state is dropped between requests (and on a crash), so that it does not multiply states */
#ifdef BUG_EVENT_PER_REQUEST
#define forgetWaiting waitingRequest[_pid] = 0; waitingTarget[_pid] = 0;
#else
#define forgetWaiting
#endif
#define forget forgetWaiting r = 0; target = 0; wasUnknown = 0; newUnknown = 0; i = 0; cnt = 0; d = 0; longWay = 0; onExists = 0
/* The worker stalls past its lease (a GC pause, a slow network): another worker may claim the request. */
#define STALL atomic { faults > 0 && holdsLease && !leaseExpired[r] -> faults--; leaseExpired[r] = 1 }

/* results of a step */
#define FOUND        1
#define NOT_FOUND    2
#define LOOKUP_ERROR 3
#define ACCEPTED     4
#define REJECTED     5
#define NO_TASK      6 /* retryable error before connecting: surely no task */
#define LOST_ANSWER  7 /* timeout or lost answer after the provider created the task */
#define EXISTS       8 /* -41 / -20 "already exists" */
#define LATE         9 /* timeout; the provider may still process the call later (LATE_CALLS) */

/* A lookup that finds nothing is believed: the settle delay has passed since the call of unknown outcome began. */
#if defined(LATE_CALLS) && !defined(BUG_NO_SETTLE_DELAY)
#define settled(r) (!latePending[r])
#else
#define settled(r) (true)
#endif

proctype Worker() {
  byte r, target, i, cnt, d;
  bit wasUnknown, newUnknown;
  bit longWay; /* finishRequestsAndReport left the request: finishRequests + answerRepeats next */
  bit onExists; /* the call was answered -41/-20: the name is taken (checked: by a task of this request's own?) */
#ifdef BUG_SNAPSHOT
  byte snapshot; /* bit d: duplicate d of r was committed and unanswered when the statement started */
  bit snapshotRepeats; /* has_repeats as committed when the statement started */
#endif

end:
  if
  :: atomic { /* a request intake claimed for this worker: its call starts once intake has committed */
      if
      :: handedOff[0] -> r = 0
      :: handedOff[1] -> r = 1
      :: handedOff[2] -> r = 2
#ifndef CONFIG_ONE_KEY
      :: handedOff[3] -> r = 3
#endif
#ifdef CONFIG_LARGE
      :: handedOff[4] -> r = 4
      :: handedOff[5] -> r = 5
#endif
      fi;
      /* the lease intake took is this worker's (a crash before the call lets it expire: CRASH at call) */
      handedOff[r] = 0; takeLease(r); wasUnknown = 0
    };
    goto call
  :: /* claimAndMarkInFlight: one UPDATE over rows chosen FOR UPDATE SKIP LOCKED, committed */
    atomic {
    if
    :: claimable(0) -> r = 0
    :: claimable(1) -> r = 1
    :: claimable(2) -> r = 2
#ifndef CONFIG_ONE_KEY
    :: claimable(3) -> r = 3
#endif
#ifdef CONFIG_LARGE
    :: claimable(4) -> r = 4
    :: claimable(5) -> r = 5
#endif
    fi;
    status[r] = INPROG; takeLease(r); leaseExpired[r] = 0;
    wasUnknown = outcomeUnknown[r]; outcomeUnknown[r] = 1 /* the in-flight mark, before any call */
    }
  fi;
#ifndef BUG_NO_LOOKUP
  if
  :: wasUnknown -> goto lookup
  :: else -> goto call
  fi;
#else
  goto call;
#endif

lookup:
  if
  :: CRASH
#ifdef EXPIRE_ANYWHERE
  :: STALL; goto lookup
#endif
  :: atomic { /* findTasksByName */
      if
      :: nameHasTask[nameOf(r)] -> unresolved[r] = 0; target = COMPLETED /* found: resolvedByLookup */
      :: !nameHasTask[nameOf(r)] && settled(r) -> unresolved[r] = 0; target = 0 /* not found: the in-flight mark stands */
#ifdef LATE_CALLS
      :: !nameHasTask[nameOf(r)] && !settled(r) -> target = PENDING; newUnknown = 1 /* too soon to believe: look again later */
#endif
      :: faults > 0 -> faults--; target = PENDING; newUnknown = 1 /* lookup failed: reschedule, still unknown */
      fi
    };
    if
    :: target == 0 -> goto call
    :: else -> goto finish
    fi
  fi;

call:
  if
  :: CRASH
#ifdef EXPIRE_ANYWHERE
  :: STALL; goto call
#endif
  :: atomic { /* resendAi */
#ifndef NO_LOOKUP_ORDER_ASSERT
      assert(!unresolved[r]); /* LOOKUP_BEFORE_NEW_CALL */
#endif
      unresolved[r] = 1;
#ifdef NAME_GUARD
      if
      :: nameHasTask[nameOf(r)] ->
        if
        :: target = EXISTS
        :: faults > 0 -> faults--; target = LOST_ANSWER /* the -41 itself lost: no task created */
        fi
      :: else ->
#endif
      if
      :: createTask(r); target = ACCEPTED
      :: target = REJECTED
      :: faults > 0 -> faults--; target = NO_TASK
      :: faults > 0 -> faults--; createTask(r); target = LOST_ANSWER
#ifdef LATE_CALLS
      :: faults > 0 -> faults--; latePending[r] = 1; target = LATE
#endif
      fi;
#ifdef NAME_GUARD
      fi;
#endif
      /* the pure decision of what to record */
      onExists = (target == EXISTS);
      if
      :: target == ACCEPTED -> target = COMPLETED
      :: target == REJECTED -> target = FAILED
      :: target == NO_TASK -> target = PENDING; newUnknown = 0
      :: target == LOST_ANSWER -> target = PENDING; newUnknown = 1
      :: target == LATE -> target = PENDING; newUnknown = 1 /* a timeout: the task may exist, or come */
#ifdef BUG_UNKNOWN_FROM_COMMITTED_FINISH
      :: target == EXISTS && hadUnknown[r] -> target = PENDING; newUnknown = 1
      :: target == EXISTS && !hadUnknown[r] -> target = FAILED
#else
      /* next-step.ts: mayHaveCreatedTaskBefore, decided by the claim's was_unknown */
      :: target == EXISTS && wasUnknown -> target = PENDING; newUnknown = 1 /* look up again */
      :: target == EXISTS && !wasUnknown -> target = FAILED /* provider_rejected */
#endif
      fi;
      i = 0; cnt = 0
    }
  fi;

finish:
#ifdef BUG_EVENT_PER_REQUEST
  waitingRequest[_pid] = r + 1; waitingTarget[_pid] = target;
#endif
#ifdef BUG_SNAPSHOT
  /* the statement's snapshot is taken when it starts, before it waits for the row lock */
  atomic {
    snapshot = 0; snapshotRepeats = hasRepeats[r];
    for (d : 0 .. NREQ - 1) {
      if :: status[d] == DUPLICATE && dupOf[d] == r + 1 && ev[d] == 0 -> snapshot = snapshot | (1 << d) :: else fi
    }
    d = 0
  };
#endif
  if
  :: CRASH /* before COMMIT: rolled back */
  :: STALL; goto finish
  :: atomic { /* finishRequestsAndReport, or finishRequests on the long way: waits for the row lock of an intake that locked the row */
      !rowLocked(r);
      if
#ifdef BUG_SNAPSHOT
      :: !longWay && fenced && target != PENDING && snapshotRepeats ->
#else
      :: !longWay && fenced && target != PENDING && hasRepeats[r] ->
#endif
        longWay = 1 /* left as it is (not returned): its repeats are answered the long way */
      :: else ->
        if
        :: fenced ->
          assert(!isFinal(r)); /* ONE_FINAL_STATE */
          assert(!(target == FAILED && onExists && tasks[r] > 0)); /* NO_FAILURE_WITH_TASK */
          status[r] = target; leaseExpired[r] = 0; leaseOwner[r] = 0;
          if
          :: target == PENDING -> /* reschedule */
            outcomeUnknown[r] = newUnknown;
#ifdef BUG_UNKNOWN_FROM_COMMITTED_FINISH
            hadUnknown[r] = hadUnknown[r] | newUnknown;
#endif
            if :: !newUnknown -> unresolved[r] = 0 :: else fi
          :: else ->
            outcomeUnknown[r] = 0; unresolved[r] = 0;
            writeOutcomeEvent(r, target);
            if :: !longWay -> publishOnCommit(r, target) :: else fi; /* finishRequestsAndReport's events only */
            /* answerRepeats: a separate statement, so it sees duplicates committed while we waited;
               only when has_repeats, which the fenced UPDATE reads as committed (it waited for the lock) */
            for (d : 0 .. NREQ - 1) {
              if
#ifdef BUG_SNAPSHOT
              :: hasRepeats[r] && status[d] == DUPLICATE && dupOf[d] == r + 1 && ev[d] == 0 && (snapshot & (1 << d)) ->
#else
              :: hasRepeats[r] && status[d] == DUPLICATE && dupOf[d] == r + 1 && ev[d] == 0 ->
#endif
                writeOutcomeEvent(d, target)
              :: else
              fi
            }
#ifndef NO_DUPLICATES_ANSWERED_ASSERT
            for (d : 0 .. NREQ - 1) {
              assert(!(status[d] == DUPLICATE && dupOf[d] == r + 1 && ev[d] == 0)) /* DUPLICATES_ANSWERED */
            }
#endif
          fi;
#ifdef BUG_EVENT_PER_REQUEST
          /* the stale calls of the same request in this group: their events too (its request was changed) */
          for (d : 0 .. NPROC - 1) {
            if
            :: d != _pid && waitingRequest[d] == r + 1 && (waitingTarget[d] == COMPLETED || waitingTarget[d] == FAILED) ->
              if
              :: writeOutcomeEvent(r, waitingTarget[d]); waitingRequest[d] = 0 /* grouped with this call */
              :: skip /* in another group */
              fi
            :: else
            fi
          }
#endif
          skip
        :: else -> /* LeaseLostError: 0 rows, nothing written */
#ifdef BUG_PUBLISH_UNWRITTEN
          if :: !longWay && target != PENDING -> publishOnCommit(r, target) :: else fi
#else
          skip
#endif
        fi;
#ifdef BUG_SNAPSHOT
        snapshot = 0; snapshotRepeats = 0;
#endif
        forget
      fi
    }
  fi;
  if
  :: longWay -> goto finish /* a second transaction: the worker may crash or stall before it */
  :: else -> goto end
  fi
}

/* ---------------- outbox relay ---------------- */
#ifdef BUG_NO_KEY_ORDER
#define unpublished(r) (relayMayRun && ev[r] != 0 && !published[r])
#else
#define unpublished(r) (relayMayRun && ev[r] != 0 && !published[r] && inKeyOrder(r))
#endif
#define committedOutcome(r) (status[r] == DUPLICATE -> status[dupOf[r] - 1] : status[r])

/*
 * The relay's steps commute with every other step: only the relay reads or writes published_at (and
 * publish-on-commit, which the relay stands for here: see publishOnCommit), and an outbox row never
 * changes once committed. So, to keep the state space small, the relay runs once the
 * other processes have nothing left to do (a partial-order reduction by hand); -DRELAY_INTERLEAVED
 * interleaves it with everything else instead.
 */
#ifdef RELAY_INTERLEAVED
#define relayMayRun (true)
#else
#define relayMayRun (intakeDone[0] && intakeDone[1] && allFinal)
#endif

proctype Relay() {
  byte r, i;
end:
  do
  :: atomic { /* publishBatch: claim FOR UPDATE SKIP LOCKED, publish, mark published, COMMIT */
      if
      :: unpublished(0) -> r = 0
      :: unpublished(1) -> r = 1
      :: unpublished(2) -> r = 2
#ifndef CONFIG_ONE_KEY
      :: unpublished(3) -> r = 3
#endif
#ifdef CONFIG_LARGE
      :: unpublished(4) -> r = 4
      :: unpublished(5) -> r = 5
#endif
      fi;
      assert(ev[r] == committedOutcome(r)); /* NO_OUTCOME_FOR_ROLLED_BACK_STATE */
      assertKeyOrder(r);
      if :: pubCount[r] < 2 -> pubCount[r]++ :: else fi;
      if
      :: published[r] = 1
      :: faults > 0 -> faults-- /* crash between publish and mark: rolled back, the same id again later */
      fi;
      r = 0
    }
  od
}

#ifdef LATE_CALLS
/* The provider processes a call the client gave up on: it creates the task (unless the name is taken,
   with NAME_GUARD), or drops the call. Any time later, possibly after the request ended. */
proctype LateCalls() {
  byte r, i, cnt;
end:
  do
  :: atomic {
      if
      :: latePending[0] -> r = 0
      :: latePending[1] -> r = 1
      :: latePending[2] -> r = 2
#ifndef CONFIG_ONE_KEY
      :: latePending[3] -> r = 3
#endif
#ifdef CONFIG_LARGE
      :: latePending[4] -> r = 4
      :: latePending[5] -> r = 5
#endif
      fi;
      latePending[r] = 0;
      if
#ifdef NAME_GUARD
      :: !nameHasTask[nameOf(r)] -> createTask(r)
#else
      :: createTask(r)
#endif
      :: skip /* dropped, or refused (-41) */
      fi;
      r = 0; i = 0; cnt = 0
    }
  od
}
#endif

/* When nothing can move any more (every process idle or finished), every request must be done: the
   safety run's version of the liveness property. */
proctype Quiescence() {
end:
  timeout -> assert(done) /* EVERY_REQUEST_ENDS */
}

init {
  atomic {
    run Intake(0); run Intake(1);
    run Worker(); run Worker();
    run Relay();
#ifdef LATE_CALLS
    run LateCalls();
#endif
    run Quiescence()
  }
}
