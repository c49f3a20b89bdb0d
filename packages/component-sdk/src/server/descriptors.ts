/**
 * Descriptors for reflection's file requests, from proto-loader's serialized FileDescriptorProtos (built once
 * per process, on the first such request). protobufjs leaves `dependency` empty and writes relative type
 * names; both are repaired here so that reflection clients can link the files.
 */
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { protocol } from './proto.js';

export interface FileDescriptor {
  name: string;
  package: string;
  dependency: string[];
  messageType: MessageDescriptor[];
  enumType: { name: string }[];
  service: { name: string; method: { name: string; inputType: string; outputType: string }[] }[];
}
export interface MessageDescriptor {
  name: string;
  field: { typeName?: string }[];
  nestedType: MessageDescriptor[];
  enumType: { name: string }[];
}

export interface DescriptorIndex {
  files: Map<string, FileDescriptor>;
  /** Fully qualified symbol (no leading dot) → file name. */
  symbols: Map<string, string>;
}

let shared: DescriptorIndex | undefined;

export function descriptorIndex(): DescriptorIndex {
  if (shared) return shared;
  const anyMessage = Object.values(protocol()).find((d) => 'fileDescriptorProtos' in d) as {
    fileDescriptorProtos: Buffer[];
  };
  const files = new Map<string, FileDescriptor>();
  const symbols = new Map<string, string>();
  for (const bytes of anyMessage.fileDescriptorProtos) {
    const file = descriptor.FileDescriptorProto.decode(bytes) as unknown as FileDescriptor;
    files.set(file.name, file);
    const prefix = file.package ? `${file.package}.` : '';
    const addMessages = (messages: MessageDescriptor[], scope: string) => {
      for (const m of messages) {
        symbols.set(scope + m.name, file.name);
        for (const e of m.enumType) symbols.set(`${scope}${m.name}.${e.name}`, file.name);
        addMessages(m.nestedType, `${scope}${m.name}.`);
      }
    };
    addMessages(file.messageType, prefix);
    for (const e of file.enumType) symbols.set(prefix + e.name, file.name);
    for (const s of file.service) {
      symbols.set(prefix + s.name, file.name);
      for (const m of s.method) symbols.set(`${prefix}${s.name}.${m.name}`, file.name);
    }
  }
  for (const file of files.values()) {
    qualifyTypeNames(file, symbols);
    file.dependency = dependenciesOf(file, symbols);
  }
  shared = { files, symbols };
  return shared;
}

/**
 * protobufjs writes type references relative to their scope (`protobuf.Any` inside `google.rpc`); reflection
 * clients expect protoc's fully qualified `.google.protobuf.Any`. Resolved with protobuf's scoping rule:
 * innermost enclosing scope first.
 */
function qualifyTypeNames(file: FileDescriptor, symbols: Map<string, string>): void {
  const qualify = (name: string, scope: string): string => {
    if (name.startsWith('.')) return name;
    const parts = scope ? scope.split('.') : [];
    for (let i = parts.length; i >= 0; i--) {
      const candidate = [...parts.slice(0, i), name].join('.');
      if (symbols.has(candidate)) return `.${candidate}`;
    }
    return name;
  };
  const visit = (messages: MessageDescriptor[], scope: string) => {
    for (const m of messages) {
      const inner = scope ? `${scope}.${m.name}` : m.name;
      for (const f of m.field) if (f.typeName) f.typeName = qualify(f.typeName, inner);
      visit(m.nestedType, inner);
    }
  };
  visit(file.messageType, file.package);
  for (const s of file.service) {
    for (const m of s.method) {
      m.inputType = qualify(m.inputType, file.package);
      m.outputType = qualify(m.outputType, file.package);
    }
  }
}

function dependenciesOf(file: FileDescriptor, symbols: Map<string, string>): string[] {
  const referenced = new Set<string>();
  const visit = (messages: MessageDescriptor[]) => {
    for (const m of messages) {
      for (const f of m.field) if (f.typeName) referenced.add(f.typeName.replace(/^\./, ''));
      visit(m.nestedType);
    }
  };
  visit(file.messageType);
  for (const s of file.service)
    for (const m of s.method) referenced.add(m.inputType.replace(/^\./, '')).add(m.outputType.replace(/^\./, ''));
  const deps = new Set<string>();
  for (const name of referenced) {
    const owner = symbols.get(name);
    if (owner !== undefined && owner !== file.name) deps.add(owner);
  }
  return [...deps];
}

/** A file re-encoded with only the services `keepService` accepts (full service names). */
export function encodeFile(file: FileDescriptor, keepService: (fullName: string) => boolean): Buffer {
  const FileDescriptorProto = descriptor.FileDescriptorProto;
  const plain = FileDescriptorProto.toObject(file as never, { arrays: true }) as FileDescriptor;
  const prefix = file.package ? `${file.package}.` : '';
  plain.service = plain.service.filter((s) => keepService(prefix + s.name));
  return Buffer.from(FileDescriptorProto.encode(FileDescriptorProto.fromObject(plain)).finish());
}
