import type { KernelVersion } from '../knowledge/kernelVersion';
import type { ProgramType } from '../knowledge/sections';
import type { FieldModel, FunctionModel, GlobalModel, MapModel } from '../model/documentModel';
import type { FunctionIR } from './ir';

/** A function the engine can see: its model, and its IR when it has a body the engine understands. */
export interface EngineFunction {
  /** Unique among the functions of one analysis: file and start offset. */
  key: string;
  name: string;
  model: FunctionModel;
  ir?: FunctionIR;
  /** Why there is no IR although there is a body (syntax errors, unsupported constructs). */
  irMissingReason?: string;
  /** The file it is in; undefined for the document being analysed. */
  file?: string;
  /** Absolute offset IR spans are relative to. */
  origin: number;
}

/** Everything the engine may look up while interpreting: the visible declarations and the configuration. */
export interface EngineWorld {
  kernel: KernelVersion;
  functionByName(name: string): EngineFunction | undefined;
  functionByKey(key: string): EngineFunction | undefined;
  field(struct: string | undefined, name: string): FieldModel | undefined;
  /** Whether the program defines this struct itself (a program-local type for bpf_obj_new). */
  isLocalStruct(struct: string): boolean;
  global(name: string): GlobalModel | undefined;
  map(name: string): MapModel | undefined;
  typedefStruct(name: string): string | undefined;
}

export interface RootInfo {
  fn: EngineFunction;
  kind: 'program' | 'global-function';
  programType?: ProgramType;
  sleepable: boolean;
  /** struct_ops callbacks may hand a referenced kptr back to the kernel by returning it. */
  mayReturnReference: boolean;
  /** Context arguments are typed BTF pointers the verifier trusts. */
  trustedArguments: boolean;
}
