import { MAX_AMOUNT } from '../kpi/plans';

/**
 * The plan editor: one server-rendered page with a month picker, a pipeline selector (the overall plans or
 * one pipeline's) and a table of managers. It holds no data itself; the browser loads and saves through the
 * API with the admin token the user types (kept only in this tab's sessionStorage), so an anonymous visitor
 * sees an empty form, and the pipeline list arrives with the first load. Save sends every changed row in one
 * request (PUT /api/v1/plans/<month>): all are saved or, when one is refused, none, and the message names the
 * manager whose row was refused.
 */
export function adminPlansPage(month: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>amokpi — plans</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 body{font:15px system-ui,sans-serif;margin:2em;max-width:60em}
 table{border-collapse:collapse;margin-top:1em} td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}
 input[type=number]{width:10em;text-align:right} .changed{background:#fff7d6} #msg{margin-top:1em;white-space:pre-wrap}
 .err{color:#b00020} .ok{color:#1b7f3b}
</style></head>
<body>
<h1>Monthly plans</h1>
<form id="load">
 <label>Admin token <input id="token" type="password" autocomplete="off" required></label>
 <label>Your name <input id="who" type="text" maxlength="100"></label>
 <label>Month <input id="month" type="month" value="${month}" required></label>
 <label>Plans <select id="pipeline"><option value="">overall (all pipelines)</option></select></label>
 <button type="submit">Load</button>
</form>
<form id="plans" hidden>
 <h2 id="caption"></h2>
 <table><thead><tr><th>Manager</th><th>Active</th><th>Plan amount</th></tr></thead><tbody id="rows"></tbody></table>
 <p>An empty amount deletes the plan. A pipeline's plans are separate from the overall plans: the boards use
 them when filtered by that pipeline, and they do not add into the overall plan. <button type="submit">Save</button></p>
</form>
<div id="msg" role="status"></div>
<script>
(function(){
 var $=function(id){return document.getElementById(id)};
 $('token').value=sessionStorage.getItem('amokpiAdminToken')||'';
 $('who').value=localStorage.getItem('amokpiWho')||'';
 var original={},names={},loaded={month:'',pipeline:'',label:''};
 function say(text,cls){var m=$('msg');m.textContent=text;m.className=cls||''}
 function api(method,path,body){
  var h={'Authorization':'Bearer '+$('token').value};
  // A header carries latin1 only: fetch throws on a Cyrillic name, so it goes percent-encoded (the server decodes it).
  if($('who').value)h['X-Amokpi-User']=encodeURIComponent($('who').value);
  if(body!==undefined)h['Content-Type']='application/json';
  return fetch(path,{method:method,headers:h,body:body===undefined?undefined:JSON.stringify(body)}).then(function(r){
   if(r.status===204)return null;
   return r.json().then(function(j){if(!r.ok){var e=new Error(j.detail||j.title||r.status);e.problem=j;throw e}return j});
  });
 }
 // Query string of a plan request: none for the overall plan, so those requests are exactly as before.
 function scope(pipeline){return pipeline?'?pipelineId='+encodeURIComponent(pipeline):''}
 function fillPipelines(list,selected){
  var sel=$('pipeline');
  while(sel.options.length>1)sel.remove(1);
  list.forEach(function(p){var o=document.createElement('option');o.value=String(p.id);o.textContent=p.name+' (#'+p.id+')';sel.appendChild(o)});
  sel.value=selected;if(sel.value!==selected)sel.value='';
  return sel.value;
 }
 $('pipeline').addEventListener('change',function(){if($('token').value)$('load').requestSubmit()});
 // Loads the table; 'done' (after a save) replaces the "Loaded" message.
 function load(done){
  sessionStorage.setItem('amokpiAdminToken',$('token').value);localStorage.setItem('amokpiWho',$('who').value);
  var month=$('month').value,wanted=$('pipeline').value;
  return Promise.all([api('GET','/api/v1/managers'),api('GET','/api/v1/pipelines')]).then(function(ref){
   var pipeline=fillPipelines(ref[1],wanted);
   return api('GET','/api/v1/plans?month='+encodeURIComponent(month)+(pipeline?'&pipelineId='+encodeURIComponent(pipeline):'')).then(function(list){
    return [ref[0],list,pipeline,$('pipeline').options[$('pipeline').selectedIndex].textContent];
   });
  }).then(function(res){
   var plans={};res[1].forEach(function(p){plans[p.managerId]=p.amount});original=plans;
   loaded={month:month,pipeline:res[2],label:res[2]?' in pipeline '+res[3]:''};
   $('caption').textContent='Plans for '+month+': '+(res[2]?'pipeline '+res[3]:'overall');
   var tb=$('rows');tb.textContent='';names={};
   res[0].forEach(function(m){
    var tr=document.createElement('tr');
    var a=plans[m.id];
    names[m.id]=m.name+' (#'+m.id+')';
    tr.innerHTML='<td></td><td>'+(m.isActive?'yes':'no')+'</td><td><input type="number" min="0" step="1"></td>';
    tr.children[0].textContent=names[m.id];
    var inp=tr.querySelector('input');inp.name=String(m.id);inp.value=a===undefined?'':String(a);
    inp.addEventListener('input',function(){tr.className=inp.value===(a===undefined?'':String(a))?'':'changed'});
    tb.appendChild(tr);
   });
   $('plans').hidden=false;
   say(done||'Loaded '+res[1].length+' plan(s) for '+month+loaded.label+'.','ok');
  });
 }
 $('load').addEventListener('submit',function(e){
  e.preventDefault();
  load().catch(function(err){say(String(err.message||err),'err')});
 });
 $('plans').addEventListener('submit',function(e){
  e.preventDefault();
  // The month and pipeline the table was loaded for, even if the pickers changed since.
  var month=loaded.month,where=' for '+month+loaded.label,rows=[],said=[],bad=[];
  Array.prototype.forEach.call($('rows').querySelectorAll('input'),function(inp){
   var id=Number(inp.name),v=inp.value.trim(),was=original[id];
   if(v===''){if(was!==undefined){rows.push({managerId:id,amount:null});said.push(names[id]+' deleted')}return}
   if(!/^\\d+$/.test(v)||Number(v)>${MAX_AMOUNT}){bad.push(names[id]+': '+JSON.stringify(v));return}
   if(Number(v)!==was){rows.push({managerId:id,amount:Number(v)});said.push(names[id]+' '+Number(v))}
  });
  if(bad.length){say('Nothing was saved: amounts must be whole numbers from 0 to ${MAX_AMOUNT} ('+bad.join(', ')+').','err');return}
  if(!rows.length){say('Nothing to save: no amount was changed.','ok');return}
  // One request, saved all or nothing.
  api('PUT','/api/v1/plans/'+month+scope(loaded.pipeline),{plans:rows}).then(function(){
   return load('Saved '+rows.length+' change(s)'+where+': '+said.join(', ')+'.');
  }).catch(function(err){
   // The API names the row (plans[i], manager id) and says nothing was saved; the page says it with the name.
   var p=err.problem||{},who=p.managerId!==undefined?(names[p.managerId]||'manager #'+p.managerId):'';
   var why=String(err.message||err).replace(/^plans\\[\\d+\\]( \\(manager \\d+\\))?: /,'').replace(/; nothing was saved$/,'');
   say('Nothing was saved'+where+(who?': the row of '+who+' was refused: ':': ')+why+(/[.]$/.test(why)?'':'.'),'err');
  });
 });
})();
</script>
</body></html>`;
}
