// Nodes: the cluster's members (one node when not clustered), as on the overview.
import { api } from "../api.js";
import { $ } from "../dom.js";
import { nodesTable } from "./overview.js";

export async function mount(el) {
  el.innerHTML = '<div class="card"><h2>Nodes</h2><div class="scroll"><table id="nodes-table"></table></div></div>';
  return {
    async update() {
      nodesTable($("#nodes-table", el), await api("GET", "nodes"));
    },
  };
}
