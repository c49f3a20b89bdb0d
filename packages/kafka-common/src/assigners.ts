/**
 * Partition assignors named and behaving like Java's and sarama's `range` and `roundrobin`, so daprkit and
 * contrib sidecars can share one consumer group. Both honour each member's own subscription (during a
 * session restart members briefly subscribe to different topic sets); kafkajs's built-in round robin does not.
 */
import kafkajs, { type Assigner, type GroupMember, type PartitionAssigner } from 'kafkajs';
import type { RebalanceStrategy } from './metadata.js';

const { AssignerProtocol } = kafkajs;
const NO_USER_DATA = Buffer.alloc(0);

/** topic → partitions, per member id. */
export type Assignment = Map<string, Record<string, number[]>>;

export interface Member {
  id: string;
  topics: Set<string>;
}

function membersOf(group: GroupMember[]): Member[] {
  return group
    .map((m) => ({
      id: m.memberId,
      topics: new Set(AssignerProtocol.MemberMetadata.decode(m.memberMetadata)?.topics ?? []),
    }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function give(assignment: Assignment, memberId: string, topic: string, partition: number): void {
  let topics = assignment.get(memberId);
  if (topics === undefined) {
    topics = {};
    assignment.set(memberId, topics);
  }
  const partitions = topics[topic];
  if (partitions === undefined) topics[topic] = [partition];
  else partitions.push(partition);
}

/** Per topic, contiguous ranges over the subscribed members; the first members get one extra when uneven. */
export function rangeAssignment(
  members: Member[],
  partitionsOf: (topic: string) => number[],
  topics: string[],
): Assignment {
  const assignment: Assignment = new Map();
  for (const topic of topics) {
    const consumers = members.filter((m) => m.topics.has(topic));
    const partitions = [...partitionsOf(topic)].sort((a, b) => a - b);
    if (consumers.length === 0) continue;
    const base = Math.floor(partitions.length / consumers.length);
    const extra = partitions.length % consumers.length;
    let next = 0;
    consumers.forEach((consumer, i) => {
      const count = base + (i < extra ? 1 : 0);
      for (const partition of partitions.slice(next, next + count)) give(assignment, consumer.id, topic, partition);
      next += count;
    });
  }
  return assignment;
}

/** All topic-partitions in order, dealt to the members in turn, skipping members not subscribed to the topic. */
export function roundRobinAssignment(
  members: Member[],
  partitionsOf: (topic: string) => number[],
  topics: string[],
): Assignment {
  const assignment: Assignment = new Map();
  let turn = 0;
  for (const topic of [...topics].sort()) {
    if (!members.some((m) => m.topics.has(topic))) continue;
    for (const partition of [...partitionsOf(topic)].sort((a, b) => a - b)) {
      while (!members[turn % members.length]!.topics.has(topic)) turn++;
      give(assignment, members[turn % members.length]!.id, topic, partition);
      turn++;
    }
  }
  return assignment;
}

const STRATEGIES = { range: rangeAssignment, roundrobin: roundRobinAssignment };

export function partitionAssigner(strategy: RebalanceStrategy): PartitionAssigner {
  const assign = STRATEGIES[strategy];
  return ({ cluster }) => {
    const assigner: Assigner = {
      name: strategy,
      version: 0,
      async assign({ members, topics }) {
        const partitionsOf = (topic: string) => cluster.findTopicPartitionMetadata(topic).map((p) => p.partitionId);
        const assignment = assign(membersOf(members), partitionsOf, topics);
        // Every member gets an answer, even an empty one.
        return members.map(({ memberId }) => ({
          memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({
            version: 0,
            assignment: assignment.get(memberId) ?? {},
            userData: NO_USER_DATA,
          }),
        }));
      },
      protocol({ topics }) {
        return {
          name: strategy,
          metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: NO_USER_DATA }),
        };
      },
    };
    return assigner;
  };
}
