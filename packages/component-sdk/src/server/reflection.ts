/**
 * gRPC server reflection (v1alpha, which daprd uses for discovery, and v1), hand-rolled so that
 * `list_services` names exactly the services registered on this socket (pitfall 33), never every service
 * of the loaded protos. File-descriptor requests are answered from proto-loader's descriptors, with the
 * component file trimmed to this socket's services and dependencies filled in (protobufjs leaves them empty).
 */
import type { ServerDuplexStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { ServiceName, protocol } from './proto.js';

const NOT_FOUND = 5;
const COMPONENT_SERVICES: readonly string[] = Object.values(ServiceName).filter((s) => s.startsWith('dapr.'));
const INVALID_ARGUMENT = 3;
const INTERNAL = 13;

interface FileDescriptor {
  name: string;
  package: string;
  dependency: string[];
  messageType: MessageDescriptor[];
  enumType: { name: string }[];
  service: { name: string; method: { name: string; inputType: string; outputType: string }[] }[];
}
interface MessageDescriptor {
  name: string;
  field: { typeName?: string }[];
  nestedType: MessageDescriptor[];
  enumType: { name: string }[];
}

interface DescriptorIndex {
  files: Map<string, FileDescriptor>;
  /** Fully qualified symbol (no leading dot) → file name. */
  symbols: Map<string, string>;
}

let shared: DescriptorIndex | undefined;

function descriptorIndex(): DescriptorIndex {
  if (shared) return shared;
  const anyMessage = Object.values(protocol()).find((d) => 'fileDescriptorProtos' in d) as { fileDescriptorProtos: Buffer[] };
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
  for (const s of file.service) for (const m of s.method) referenced.add(m.inputType.replace(/^\./, '')).add(m.outputType.replace(/^\./, ''));
  const deps = new Set<string>();
  for (const name of referenced) {
    const owner = symbols.get(name);
    if (owner !== undefined && owner !== file.name) deps.add(owner);
  }
  return [...deps];
}

/** What one socket's reflection service knows: its services, and descriptors trimmed to them. */
export class ReflectionView {
  private readonly encoded = new Map<string, Buffer>();
  readonly services: readonly string[];
  private readonly componentServices: ReadonlySet<string>;

  constructor(componentServices: readonly string[]) {
    this.services = [...componentServices, ServiceName.ReflectionV1Alpha, ServiceName.ReflectionV1];
    this.componentServices = new Set(componentServices);
  }

  /** The file holding `symbol` plus its transitive dependencies, or undefined when not served here. */
  fileContainingSymbol(symbol: string): Buffer[] | undefined {
    const index = descriptorIndex();
    const fileName = index.symbols.get(symbol);
    if (fileName === undefined || !this.isVisible(symbol)) return undefined;
    return this.withDependencies(fileName);
  }

  fileByName(name: string): Buffer[] | undefined {
    return descriptorIndex().files.has(name) ? this.withDependencies(name) : undefined;
  }

  hasType(symbol: string): boolean {
    return descriptorIndex().symbols.has(symbol);
  }

  /** Services (and their methods) of the component package are visible only when registered here. */
  private isVisible(symbol: string): boolean {
    const owner = COMPONENT_SERVICES.find((s) => symbol === s || symbol.startsWith(`${s}.`));
    return owner === undefined || this.componentServices.has(owner);
  }

  private withDependencies(fileName: string): Buffer[] {
    const { files } = descriptorIndex();
    const ordered: string[] = [];
    const visit = (name: string) => {
      if (ordered.includes(name) || !files.has(name)) return;
      ordered.push(name);
      for (const dep of files.get(name)!.dependency) visit(dep);
    };
    visit(fileName);
    return ordered.map((name) => this.encode(name));
  }

  private encode(name: string): Buffer {
    let bytes = this.encoded.get(name);
    if (bytes === undefined) {
      const file = descriptorIndex().files.get(name)!;
      const FileDescriptorProto = descriptor.FileDescriptorProto;
      const plain = FileDescriptorProto.toObject(file as never, { arrays: true }) as FileDescriptor;
      plain.service = plain.service.filter((s) => this.isServedHere(file, s.name));
      bytes = Buffer.from(FileDescriptorProto.encode(FileDescriptorProto.fromObject(plain)).finish());
      this.encoded.set(name, bytes);
    }
    return bytes;
  }

  private isServedHere(file: FileDescriptor, service: string): boolean {
    const full = file.package ? `${file.package}.${service}` : service;
    return this.services.includes(full);
  }
}

interface ReflectionRequest {
  host: string;
  messageRequest?: 'fileByFilename' | 'fileContainingSymbol' | 'fileContainingExtension' | 'allExtensionNumbersOfType' | 'listServices';
  fileByFilename?: string;
  fileContainingSymbol?: string;
  allExtensionNumbersOfType?: string;
  listServices?: string;
}

function answer(view: ReflectionView, request: ReflectionRequest): Record<string, unknown> {
  const base = { validHost: request.host, originalRequest: request };
  const notFound = (what: string) => ({ ...base, errorResponse: { errorCode: NOT_FOUND, errorMessage: `${what} not found` } });
  const files = (protos: Buffer[] | undefined, what: string) =>
    protos ? { ...base, fileDescriptorResponse: { fileDescriptorProto: protos } } : notFound(what);
  switch (request.messageRequest) {
    case 'listServices':
      return { ...base, listServicesResponse: { service: view.services.map((name) => ({ name })) } };
    case 'fileContainingSymbol':
      return files(view.fileContainingSymbol(request.fileContainingSymbol ?? ''), `symbol '${request.fileContainingSymbol}'`);
    case 'fileByFilename':
      return files(view.fileByName(request.fileByFilename ?? ''), `file '${request.fileByFilename}'`);
    case 'allExtensionNumbersOfType':
      return view.hasType(request.allExtensionNumbersOfType ?? '')
        ? { ...base, allExtensionNumbersResponse: { baseTypeName: request.allExtensionNumbersOfType, extensionNumber: [] } }
        : notFound(`type '${request.allExtensionNumbersOfType}'`);
    case 'fileContainingExtension':
      return notFound('extension');
    default:
      return { ...base, errorResponse: { errorCode: INVALID_ARGUMENT, errorMessage: 'empty reflection request' } };
  }
}

/** One handler for both reflection versions: their messages are identical. */
export function reflectionService(view: ReflectionView): UntypedServiceImplementation {
  return {
    ServerReflectionInfo: (call: ServerDuplexStream<ReflectionRequest, Record<string, unknown>>) => {
      call.on('data', (request: ReflectionRequest) => {
        let response: Record<string, unknown>;
        try {
          response = answer(view, request);
        } catch (err) {
          response = { validHost: request.host, errorResponse: { errorCode: INTERNAL, errorMessage: (err as Error).message } };
        }
        call.write(response);
      });
      call.on('end', () => call.end());
      call.on('error', () => {
        /* the client went away; nothing to clean up */
      });
    },
  };
}
